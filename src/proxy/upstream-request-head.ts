import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { HOP_BY_HOP, namedInConnection } from './forward-headers.js';
import type { Target } from './upstream-types.js';

/**
 * The upstream request's head for an HTTP/1.1 forward (http-forward.ts): where a target's
 * requests go, and the header list sent to it.
 */

/** Where a target's requests go: computed once per target, not per request. */
export interface Endpoint {
  readonly request: typeof http.request;
  readonly secure: boolean;
  readonly protocol: string;
  readonly hostname: string;
  readonly port: number;
  /** The target URL's own path ('/base' of http://host/base), prefixed to every request path. */
  readonly basePath: string;
  /** Host header for clients that sent none (HTTP/1.0), or all with `hostHeader: 'target'`. */
  readonly host: string;
  /** https: the name verified and sent as SNI (upstream-tls.ts), not the client's Host. */
  readonly servername: string | undefined;
}

const endpoints = new WeakMap<Target, Endpoint>();

export function endpointOf(target: Target): Endpoint {
  let endpoint = endpoints.get(target);
  if (endpoint) return endpoint;
  const url = target.url;
  const secure = url.protocol === 'https:';
  endpoint = {
    request: secure ? https.request : http.request,
    secure,
    protocol: url.protocol,
    // An IPv6 literal comes bracketed in a URL, not in a socket address.
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    basePath: url.pathname.replace(/\/+$/, ''),
    host: url.host,
    servername: target.tls?.servername,
  };
  endpoints.set(target, endpoint);
  return endpoint;
}

/** Never sent upstream: hop-by-hop headers, and Expect (the server already answered `100 Continue`). */
const notForwarded = new Set([...HOP_BY_HOP, 'expect']);

/** Methods Node's client sends without framing when they carry no body (the rest get chunked). */
const bodylessByDefault = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/**
 * The upstream request's headers as a flat [name, value, …] list, built in one pass over what the
 * policies left in `headers`: hop-by-hop ones and those the client's Connection names stay out,
 * so do headers a policy removed by setting them to undefined (cheaper than `delete`, which turns
 * the object into a slow dictionary for every later read), and the body's framing is set for
 * the body actually sent. Node takes such a list as is, with no per-header bookkeeping.
 */
export function upstreamHeaderList(
  method: string,
  headers: IncomingHttpHeaders,
  body: Buffer | Readable | undefined,
  endpoint: Endpoint,
  targetHost: boolean,
): string[] {
  const named = namedInConnection(headers.connection);
  const list: string[] = [];
  let hasHost = false;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || notForwarded.has(name) || named?.has(name)) continue;
    // A policy's body brings its own length (below).
    if (body !== undefined && name === 'content-length') continue;
    if (name === 'host') {
      if (targetHost) continue;
      hasHost = true;
    }
    if (typeof value === 'string') list.push(name, value);
    else for (const item of value) list.push(name, item);
  }
  // The client's Host goes through as it came (no `changeOrigin`); the target's is sent when the
  // client sent none (HTTP/1.0), or when the service says `hostHeader: 'target'`.
  if (!hasHost) list.push('host', endpoint.host);
  if (Buffer.isBuffer(body)) list.push('content-length', String(body.length));
  // A chunked client body stays chunked on the next hop (Transfer-Encoding itself is hop-by-hop,
  // yet without framing a DELETE or GET body would be read as a second request); a policy's
  // stream of unknown length (bodyLimit's counter) goes chunked, whatever the method.
  else if (body !== undefined || headers['transfer-encoding'] !== undefined) {
    list.push('transfer-encoding', 'chunked');
    // The client's trailers follow the body (http-forward's upload): their announcement too.
    const trailer = headers.trailer;
    if (typeof trailer === 'string') list.push('trailer', trailer);
  }
  // No body at all: a method that defines a meaning for content (POST, PUT, PATCH …) says so
  // with `Content-Length: 0` (RFC 9110 §8.6), as curl -d '' and Python requests do; left
  // unframed, Node's client would send an empty chunked body, which servers that refuse
  // chunked uploads reject. GET, DELETE and the like go without framing, as they came.
  else if (headers['content-length'] === undefined && !bodylessByDefault.has(method))
    list.push('content-length', '0');
  return list;
}
