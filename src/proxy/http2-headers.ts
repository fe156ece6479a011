import type {
  IncomingHttpHeaders as Http2Headers,
  OutgoingHttpHeaders as Http2OutgoingHeaders,
} from 'node:http2';
import {
  STATUS_CODES,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type InformationEvent,
  type OutgoingHttpHeaders,
} from 'node:http';
import type { Readable } from 'node:stream';
import type { GatewayContext } from '../pipeline/types.js';
import { hopByHopNames, namedInConnection } from './forward-headers.js';
import type { LocationRewrite } from './rewrite-location.js';
import type { Framing } from './upstream-head.js';
import type { Target } from './upstream-types.js';

/**
 * Headers across the HTTP/1.1 ⇄ HTTP/2 boundary. HTTP/2 has no connection-specific fields
 * (RFC 9113 §8.2.2: Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade; TE
 * only as "trailers"), names are lower-case, and the request line and Host become pseudo-headers
 * (:method, :scheme, :authority, :path; RFC 9113 §8.3.1).
 */

/** Never sent upstream over HTTP/2: hop-by-hop, Host (→ :authority), Expect (answered already). */
const notForwarded = new Set([...hopByHopNames, 'host', 'expect', 'http2-settings']);

/** Fields a trailer section must not carry (RFC 9110 §6.5.1): framing, routing, authentication. */
const notInTrailers = new Set([
  ...hopByHopNames,
  'content-length',
  'content-type',
  'content-encoding',
  'host',
  'authorization',
  'set-cookie',
  'cache-control',
  'expect',
]);

interface Http2Endpoint {
  readonly scheme: string;
  /** The target URL's own path ('/base' of http://host/base), prefixed to every request path. */
  readonly basePath: string;
  /** :authority for clients that sent no Host (HTTP/1.0), and with hostHeader 'target'. */
  readonly authority: string;
  /** The session's origin (URL's `origin` getter builds a new string on every read). */
  readonly origin: string;
}

const endpoints = new WeakMap<Target, Http2Endpoint>();

/** What a target's HTTP/2 requests share, read from its URL once. */
export function endpointOf(target: Target): Http2Endpoint {
  let endpoint = endpoints.get(target);
  if (endpoint) return endpoint;
  const url = target.url;
  endpoint = {
    scheme: url.protocol === 'https:' ? 'https' : 'http',
    basePath: url.pathname.replace(/\/+$/, ''),
    authority: url.host,
    origin: url.origin,
  };
  endpoints.set(target, endpoint);
  return endpoint;
}

/**
 * The upstream request's HTTP/2 header block from what the policies left in `upstreamHeaders`.
 * The client's Host goes on as :authority (no `changeOrigin`, as on HTTP/1.1). `te: trailers`
 * passes when the client sent it, and always to a gRPC service, whose servers may require it.
 */
export function http2RequestHeaders(
  ctx: GatewayContext,
  target: Target,
  body: Buffer | Readable | undefined,
  grpc: boolean,
): Http2OutgoingHeaders {
  const endpoint = endpointOf(target);
  const source = ctx.upstreamHeaders;
  const named = namedInConnection(source.connection);
  const headers: Http2OutgoingHeaders = {
    ':method': ctx.method,
    ':scheme': endpoint.scheme,
    ':authority': source.host ?? endpoint.authority,
    ':path': endpoint.basePath + ctx.upstreamPath + ctx.search,
  };
  for (const name in source) {
    const value = source[name];
    if (value === undefined || notForwarded.has(name) || named?.has(name)) continue;
    // A policy's body brings its own length (below); a stream of its own has none.
    if (body !== undefined && name === 'content-length') continue;
    headers[name] = value;
  }
  if (Buffer.isBuffer(body)) headers['content-length'] = String(body.length);
  if (grpc || /\btrailers\b/i.test(String(source.te ?? ''))) headers.te = 'trailers';
  return headers;
}

/**
 * An HTTP/2 answer's head as an HTTP/1.1 header object: no pseudo-headers, no hop-by-hop ones.
 * With the client's framing (upstream-head.ts) and the route's Location rewrite, as on HTTP/1.1:
 * a 204/304 loses any Content-Length; a Trailer field stays when the answer can carry trailers
 * (it goes chunked: no Content-Length); Location and Content-Location naming a target map to gw.
 */
export function http2HeadOf(
  received: Http2Headers,
  framing: Framing = 'plain',
  location?: LocationRewrite,
  req?: IncomingMessage,
): IncomingHttpHeaders {
  const named = namedInConnection(received.connection);
  const head: IncomingHttpHeaders = {};
  for (const name in received) {
    const value = received[name];
    if (value === undefined || name.startsWith(':') || hopByHopNames.has(name) || named?.has(name)) continue;
    head[name] = typeof value === 'number' ? String(value) : value;
  }
  if (framing === 'none') delete head['content-length'];
  const trailer = received.trailer;
  if (framing === 'trailers' && trailer !== undefined && head['content-length'] === undefined)
    head.trailer = String(trailer);
  if (location && req) {
    if (head.location !== undefined) head.location = location(head.location, req);
    const content = head['content-location'];
    if (content !== undefined) head['content-location'] = location(content, req);
  }
  return head;
}

/**
 * The client's head as a flat [name, value, …] list (routes whose policies do not edit answers):
 * the upstream's fields, then the gateway's own, which replace the upstream's of the same name.
 * The same fields as http2HeadOf gives, listed in one pass without the object between.
 */
export function responseHeadList(
  received: Http2Headers,
  own: OutgoingHttpHeaders,
  framing: Framing,
  location: LocationRewrite | undefined,
  req: IncomingMessage,
): string[] {
  const list: string[] = [];
  const named = namedInConnection(received.connection);
  for (const name in received) {
    const value = received[name];
    if (value === undefined || name.charCodeAt(0) === 58 /* : */ || own[name] !== undefined) continue;
    if (hopByHopNames.has(name) || named?.has(name)) continue;
    if (framing === 'none' && name === 'content-length') continue;
    if (typeof value === 'string') {
      const rewrite = location !== undefined && (name === 'location' || name === 'content-location');
      list.push(name, rewrite ? location(value, req) : value);
    } else if (typeof value === 'number') list.push(name, String(value));
    else for (const item of value) list.push(name, item);
  }
  const trailer = received.trailer;
  if (
    framing === 'trailers' &&
    trailer !== undefined &&
    received['content-length'] === undefined &&
    own.trailer === undefined
  )
    list.push('trailer', String(trailer));
  for (const name in own) {
    const value = own[name];
    if (value === undefined) continue;
    if (typeof value === 'string') list.push(name, value);
    else if (typeof value === 'number') list.push(name, String(value));
    else for (const item of value) list.push(name, item);
  }
  return list;
}

/** A received trailer section, minus pseudo-headers and the fields no trailer may carry. */
export function trailersFor(received: Http2Headers | NodeJS.Dict<string>): Record<string, string | string[]> {
  const trailers: Record<string, string | string[]> = {};
  for (const name in received) {
    const value = received[name];
    if (value === undefined || name.startsWith(':') || notInTrailers.has(name)) continue;
    trailers[name] = typeof value === 'number' ? String(value) : value;
  }
  return trailers;
}

/** A head back in HTTP/2 shape, for an answer that started buffered and then overflowed. */
export function http2Headers(head: IncomingHttpHeaders, status: number): Http2Headers {
  return { ...head, ':status': String(status) };
}

/** An HTTP/2 interim head in the shape of node:http's 'information' event. */
export function informationOf(received: Http2Headers): InformationEvent {
  const statusCode = Number(received[':status']);
  const headers = http2HeadOf(received);
  const rawHeaders: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === 'string') rawHeaders.push(name, value);
    else for (const item of value ?? []) rawHeaders.push(name, item);
  }
  return {
    statusCode,
    statusMessage: STATUS_CODES[statusCode] ?? '',
    httpVersion: '2.0',
    httpVersionMajor: 2,
    httpVersionMinor: 0,
    headers,
    rawHeaders,
  };
}
