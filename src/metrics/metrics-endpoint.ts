import type { ServerResponse } from 'node:http';
import type { GatewayMetrics } from './gateway-metrics.js';

export const METRICS_PATH = '/__gw/metrics';

/** Answers a scrape in the Prometheus text exposition format (version 0.0.4). */
export async function sendMetrics(res: ServerResponse, metrics: GatewayMetrics): Promise<void> {
  const body = await metrics.registry.metrics();
  res.writeHead(200, {
    'content-type': metrics.registry.contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
