import type { OutgoingHttpHeaders } from 'node:http';
import type { GatewayContext } from './types.js';

/**
 * Writes a buffered answer (ctx.response) with the gateway's own headers, recomputing
 * Content-Length from the body actually sent (a transform may have changed it).
 */
export function sendBufferedResponse(ctx: GatewayContext): void {
  const response = ctx.response;
  if (!response || ctx.res.headersSent) return;
  const headers: OutgoingHttpHeaders = { ...response.headers, ...ctx.responseHeaders };
  delete headers['transfer-encoding'];
  headers['content-length'] = response.body.length;
  ctx.res.writeHead(response.status, headers);
  ctx.res.end(ctx.method === 'HEAD' ? undefined : response.body);
}
