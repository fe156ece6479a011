import type { OutgoingHttpHeaders } from 'node:http';
import type { GatewayContext } from './types.js';
import { bodyTap } from './hooks.js';

/**
 * Writes a buffered answer (ctx.response) with the gateway's own headers, recomputing
 * Content-Length from the body actually sent (a transform may have changed it), none for
 * answers that have no body.
 */
export function sendBufferedResponse(ctx: GatewayContext): void {
  const response = ctx.response;
  if (!response || ctx.res.headersSent) return;
  const headers: OutgoingHttpHeaders = { ...response.headers, ...ctx.responseHeaders };
  delete headers['transfer-encoding'];
  // Sent whole with its length: no trailers can follow.
  delete headers.trailer;
  // 1xx, 204 and 304 never carry a body nor, for the first two, a Content-Length (RFC 9110
  // §8.6, §6.4.1); a 304's would have to be the 200's, which a buffer of nothing is not.
  const status = response.status;
  if (status < 200 || status === 204 || status === 304) {
    delete headers['content-length'];
    ctx.res.writeHead(status, headers);
    ctx.res.end();
    return;
  }
  // inspect.bodies: a buffered answer (upstream, cache, mock, aggregate) is seen whole, as sent.
  if (ctx.method !== 'HEAD') bodyTap(ctx)?.answerBody(response.body);
  headers['content-length'] = response.body.length;
  ctx.res.writeHead(status, headers);
  ctx.res.end(ctx.method === 'HEAD' ? undefined : response.body);
}
