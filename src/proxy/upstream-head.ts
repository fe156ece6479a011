import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { GatewayContext } from '../pipeline/types.js';
import { stripHopByHop } from './forward-headers.js';

/** The error a forward's own deadline destroys the upstream request with (→ 504). */
export function timeoutError(ms: number): Error {
  return Object.assign(new Error(`upstream did not answer within ${ms} ms`), { code: 'GW_UPSTREAM_TIMEOUT' });
}

/** Upstream head → client head: hop-by-hop out, response hooks, then the gateway's own headers. */
export function prepareHead(
  ctx: GatewayContext,
  proxyRes: IncomingMessage,
): { status: number; headers: IncomingHttpHeaders } {
  stripHopByHop(proxyRes.headers);
  const head = { status: proxyRes.statusCode ?? 502, headers: proxyRes.headers };
  for (const hook of ctx.responseHooks) hook(head, ctx);
  for (const name in ctx.responseHeaders) {
    const value = ctx.responseHeaders[name];
    if (value !== undefined)
      head.headers[name] = typeof value === 'number' ? String(value) : (value as string | string[]);
  }
  return head;
}
