import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { answerHeadEdits } from '../pipeline/hooks.js';
import type { GatewayContext } from '../pipeline/types.js';
import { hopByHopNames, namedInConnection, stripHopByHop } from './forward-headers.js';
import type { LocationRewrite } from './rewrite-location.js';

/** The error a forward's own deadline destroys the upstream request with (→ 504). */
export function timeoutError(ms: number): Error {
  return Object.assign(new Error(`upstream did not answer within ${ms} ms`), { code: 'GW_UPSTREAM_TIMEOUT' });
}

/**
 * How the client's answer will be framed, which decides two fields of its head: `trailers` (a
 * chunked body whose upstream Trailer field is kept, RFC 9110 §6.6.2), `plain` (no trailers
 * possible: HTTP/1.0 client, HEAD, or a buffered answer sent with its length), `none` (204/304,
 * which never carry a body, so no Content-Length either, RFC 9110 §8.6).
 */
export type Framing = 'trailers' | 'plain' | 'none';

export function framingOf(status: number, method: string, chunkedClient: boolean): Framing {
  if (status === 204 || status === 304) return 'none';
  return chunkedClient && method !== 'HEAD' ? 'trailers' : 'plain';
}

/** Upstream head → client head: hop-by-hop out, response hooks, then the gateway's own headers. */
export function prepareHead(
  ctx: GatewayContext,
  proxyRes: IncomingMessage,
  framing: Framing,
  location: LocationRewrite | undefined,
): { status: number; headers: IncomingHttpHeaders } {
  const trailer = proxyRes.headers.trailer;
  const chunked = proxyRes.headers['transfer-encoding'] !== undefined;
  stripHopByHop(proxyRes.headers);
  if (framing === 'none') delete proxyRes.headers['content-length'];
  else if (framing === 'trailers' && chunked && trailer !== undefined) proxyRes.headers.trailer = trailer;
  if (location) {
    const headers = proxyRes.headers;
    if (headers.location !== undefined) headers.location = location(headers.location, ctx.req);
    const content = headers['content-location'];
    if (content !== undefined) headers['content-location'] = location(content, ctx.req);
  }
  const head = { status: proxyRes.statusCode ?? 502, headers: proxyRes.headers };
  const edits = answerHeadEdits(ctx);
  if (edits) for (const edit of edits) edit(head, ctx);
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
export function responseHeaderList(
  raw: readonly string[],
  own: OutgoingHttpHeaders,
  framing: Framing,
  location: LocationRewrite | undefined,
  req: IncomingMessage,
): string[] {
  let named: Set<string> | undefined;
  let trailer: string | undefined;
  let chunked = false;
  for (let i = 0; i < raw.length; i += 2) {
    const length = raw[i]!.length;
    if (length === 10 && raw[i]!.toLowerCase() === 'connection') {
      for (const name of namedInConnection(raw[i + 1]) ?? []) (named ??= new Set()).add(name);
    } else if (length === 7 && raw[i]!.toLowerCase() === 'trailer') trailer = raw[i + 1];
    else if (length === 17 && raw[i]!.toLowerCase() === 'transfer-encoding') chunked = true;
  }
  const list: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (hopByHopNames.has(name) || own[name] !== undefined || named?.has(name)) continue;
    if (framing === 'none' && name === 'content-length') continue;
    if (location && (name === 'location' || name === 'content-location'))
      list.push(raw[i]!, location(raw[i + 1]!, req));
    else list.push(raw[i]!, raw[i + 1]!);
  }
  if (framing === 'trailers' && chunked && trailer !== undefined) list.push('Trailer', trailer);
  for (const name in own) {
    const value = own[name];
    if (value === undefined) continue;
    if (typeof value === 'string') list.push(name, value);
    else if (typeof value === 'number') list.push(name, String(value));
    else for (const item of value) list.push(name, item);
  }
  return list;
}
