import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, isGatewayError } from '../errors.js';
import { sendProblem } from '../pipeline/problem.js';
import type { GatewayState } from '../state/types.js';
import { KEPT_REQUESTS, harLogOf } from './har-log.js';
import { harDocument } from './inspect/har-bodies.js';

export const HAR_PATH = '/__gw/har';

/** `?last=N`: how many of the latest requests to export (default 100, at most what is kept). */
function lastCount(req: IncomingMessage): number {
  const raw = new URL(req.url ?? '/', 'http://gw').searchParams.get('last');
  if (raw === null) return 100;
  if (!/^\d+$/.test(raw)) {
    throw new GatewayError('GW_BAD_REQUEST', `last=${raw} is not a count of requests`, {
      hint: `Ask for ${HAR_PATH}?last=100 (a whole number up to ${KEPT_REQUESTS}).`,
    });
  }
  return Math.min(Number(raw), KEPT_REQUESTS);
}

/** Sends the last requests as a HAR 1.2 file (Chrome DevTools' network panel imports it). */
export function sendHar(state: GatewayState, req: IncomingMessage, res: ServerResponse): void {
  let count: number;
  try {
    count = lastCount(req);
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    sendProblem(res, error);
    return;
  }
  // Bodies kept by inspect go in as postData and content.text (src/observe/inspect/har-bodies.ts).
  const har = harDocument(harLogOf(state)?.recent(count) ?? []);
  const body = JSON.stringify(har, null, 2);
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-disposition': 'attachment; filename="gw.har"',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
