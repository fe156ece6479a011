import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { GatewayContext } from '../pipeline/types.js';
import { hopByHopNames, namedInConnection, stripHopByHop } from './forward-headers.js';

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

/**
 * The client's head straight from the upstream's raw one, as a flat [name, value, …] list, for
 * routes whose policies do not edit answers: hop-by-hop headers and those the upstream's
 * Connection names stay out, the gateway's own headers (request id, rate-limit state) replace
 * the upstream's of the same name. Reading `proxyRes.headers` instead would build an object of
 * the head only to take it apart again (about 1 µs per request, issue 7). Names keep the
 * upstream's spelling, duplicates (Set-Cookie) stay as sent.
 */
export function responseHeaderList(raw: readonly string[], own: OutgoingHttpHeaders): string[] {
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      for (const name of namedInConnection(raw[i + 1]) ?? []) (named ??= new Set()).add(name);
    }
  }
  const list: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (hopByHopNames.has(name) || own[name] !== undefined || named?.has(name)) continue;
    list.push(raw[i]!, raw[i + 1]!);
  }
  for (const name in own) {
    const value = own[name];
    if (value === undefined) continue;
    if (typeof value === 'string') list.push(name, value);
    else if (typeof value === 'number') list.push(name, String(value));
    else for (const item of value) list.push(name, item);
  }
  return list;
}
