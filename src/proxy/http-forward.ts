import http, { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import https from 'node:https';
import { GatewayError, isGatewayError } from '../errors.js';
import type { GatewayContext } from '../pipeline/types.js';
import { markRetryable, type ForwardMode, type UpstreamResponse } from './forwarder-types.js';
import { prepareHead, responseHeaderList, timeoutError } from './upstream-head.js';
import { classifyUpstreamError, upstreamError } from './upstream-errors.js';
import type { Target, UpstreamPool } from './upstream-types.js';
import { declaresBody, HOP_BY_HOP, namedInConnection } from './forward-headers.js';
import { relayBody } from './relay-body.js';
import { relayInformation } from './informational.js';

/**
 * One HTTP forward on Node's own client, with the target's keep-alive agent. The proxy library
 * (http-proxy-3) did this part before; per request it cost about 13 µs of CPU more than these
 * lines on the bench machine (a URL-less request setup, a copy of every header, a `pipe` even for
 * bodyless requests, six listeners), more than all of gw's policies together (issue 7). What it
 * did that gw needs is here: the client's abort destroys the upstream request, errors are
 * classified, the body streams; the library still carries WebSocket upgrades (forwarder.ts).
 *
 * The answer is always handled here, so that one code path can stream it, buffer it for a policy
 * (cache, transform) or turn a retryable status into a retry before any byte reaches the client.
 */

/** Where a target's requests go: computed once per target, not per request. */
interface Endpoint {
  readonly request: typeof http.request;
  readonly protocol: string;
  readonly hostname: string;
  readonly port: number;
  /** The target URL's own path ('/base' of http://host/base), prefixed to every request path. */
  readonly basePath: string;
  /** Host header for clients that sent none (HTTP/1.0): the target's host[:port]. */
  readonly host: string;
}

const endpoints = new WeakMap<Target, Endpoint>();

function endpointOf(target: Target): Endpoint {
  let endpoint = endpoints.get(target);
  if (endpoint) return endpoint;
  const url = target.url;
  const secure = url.protocol === 'https:';
  endpoint = {
    request: secure ? https.request : http.request,
    protocol: url.protocol,
    // An IPv6 literal comes bracketed in a URL, not in a socket address.
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    basePath: url.pathname.replace(/\/+$/, ''),
    host: url.host,
  };
  endpoints.set(target, endpoint);
  return endpoint;
}

/** Never sent upstream: hop-by-hop headers, and Expect (the server already answered `100 Continue`). */
const notForwarded = new Set([...HOP_BY_HOP, 'expect']);

/** A 101 answer to a plain request (parsed as a malformed answer: 502). */
const unaskedSwitch = Object.assign(new Error('switched protocols on a request that asked for no upgrade'), {
  code: 'HPE_UNEXPECTED_UPGRADE',
});

/** Methods Node's client sends without framing when they carry no body (the rest get chunked). */
const bodylessByDefault = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/**
 * The upstream request's headers as a flat [name, value, …] list, built in one pass over what the
 * policies left in `headers`: hop-by-hop ones and those the client's Connection names stay out,
 * so do headers a policy removed by setting them to undefined (cheaper than `delete`, which turns
 * the object into a slow dictionary for every later read), and the body's framing is set for
 * the body actually sent. Node takes such a list as is, with no per-header bookkeeping.
 */
function upstreamHeaderList(
  method: string,
  headers: IncomingHttpHeaders,
  body: Buffer | Readable | undefined,
  endpoint: Endpoint,
): string[] {
  const named = namedInConnection(headers.connection);
  const list: string[] = [];
  let hasHost = false;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || notForwarded.has(name) || named?.has(name)) continue;
    // A policy's body brings its own length (below).
    if (body !== undefined && name === 'content-length') continue;
    if (name === 'host') hasHost = true;
    if (typeof value === 'string') list.push(name, value);
    else for (const item of value) list.push(name, item);
  }
  // The client's Host goes through as it came (no `changeOrigin`); one is added only when the
  // client sent none (HTTP/1.0).
  if (!hasHost) list.push('host', endpoint.host);
  if (Buffer.isBuffer(body)) list.push('content-length', String(body.length));
  // A chunked client body stays chunked on the next hop (Transfer-Encoding itself is hop-by-hop,
  // yet without framing a DELETE or GET body would be read as a second request); a policy's
  // stream of unknown length (bodyLimit's counter) goes chunked, whatever the method.
  else if (body !== undefined || headers['transfer-encoding'] !== undefined)
    list.push('transfer-encoding', 'chunked');
  // No body at all: a method that defines a meaning for content (POST, PUT, PATCH …) says so
  // with `Content-Length: 0` (RFC 9110 §8.6), as curl -d '' and Python requests do; left
  // unframed, Node's client would send an empty chunked body, which servers that refuse
  // chunked uploads reject. GET, DELETE and the like go without framing, as they came.
  else if (headers['content-length'] === undefined && !bodylessByDefault.has(method))
    list.push('content-length', '0');
  return list;
}

/**
 * Sends `ctx` to `target`. Streaming (no `mode.buffer`): settles once the client response is done
 * (undefined). Buffering: resolves with the whole answer, nothing written. Rejects with a
 * GatewayError when it failed before any byte reached the client.
 */
export function forwardHttp(
  ctx: GatewayContext,
  pool: UpstreamPool,
  target: Target,
  mode: ForwardMode | undefined,
): Promise<UpstreamResponse | undefined> {
  const { req, res } = ctx;
  const endpoint = endpointOf(target);
  const body = ctx.requestBody;
  const headers = upstreamHeaderList(ctx.method, ctx.upstreamHeaders, body, endpoint);
  ctx.target = target.key;
  ctx.upstreamUrl = target.key + ctx.upstreamPath + ctx.search;

  return new Promise<UpstreamResponse | undefined>((resolve, reject) => {
    let done = false;
    let timedOut = false;
    const finish = (outcome: 'ok' | 'connect-failed' | 'failed') => {
      if (done) return false;
      done = true;
      clearTimeout(timer);
      pool.finished(target, outcome);
      return true;
    };
    const fail = (error: GatewayError) => {
      if (finish('failed')) reject(error);
    };

    const proxyReq: ClientRequest = endpoint.request({
      agent: target.agent,
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port,
      method: ctx.method,
      path: endpoint.basePath + ctx.upstreamPath + ctx.search,
      headers,
    });
    pool.started(target);
    const sentAt = performance.now();
    const timer = setTimeout(() => {
      timedOut = true;
      proxyReq.destroy(timeoutError(ctx.timeoutMs));
    }, ctx.timeoutMs);

    proxyReq.on('error', (error: Error) => {
      // A replacement body that failed (e.g. over bodyLimit) is the client's doing, not the target's.
      if (isGatewayError(error)) {
        if (finish('ok')) reject(error);
        return;
      }
      const failure = timedOut ? 'timeout' : classifyUpstreamError(error);
      if (!finish(failure === 'connect' ? 'connect-failed' : 'failed')) return;
      if (res.headersSent) {
        res.destroy();
        resolve(undefined);
        return;
      }
      const gatewayError = upstreamError(
        timedOut ? timeoutError(ctx.timeoutMs) : error,
        target.key,
        pool.name,
        ctx.timeoutMs,
      );
      // A connect failure never reached the upstream: safe to retry elsewhere, whatever the method.
      reject(failure === 'connect' ? markRetryable(gatewayError) : gatewayError);
    });

    // 'close' is emitted once: `on` spares the once-wrapper.
    res.on('close', () => {
      // The client went away (or the answer is done): an unfinished upstream request is cut, so
      // an aborted download never leaves an upstream stream open.
      if (!res.writableFinished) proxyReq.destroy();
      if (finish(res.writableFinished ? 'ok' : 'failed')) resolve(undefined);
    });

    proxyReq.on('information', (info) => relayInformation(req, res, info));
    // A 101 with Upgrade to a request that asked for none (RFC 9110 §15.2.2: only in answer to
    // an Upgrade): Node's client hands over the socket here, or without this listener drops it
    // and never settles the request. Never relayed: the client would wait on a connection that
    // now speaks another protocol.
    proxyReq.on('upgrade', (_proxyRes: IncomingMessage, socket: Socket) => {
      socket.destroy();
      fail(upstreamError(unaskedSwitch, target.key, pool.name, ctx.timeoutMs));
    });

    proxyReq.on('response', (proxyRes: IncomingMessage) => {
      clearTimeout(timer);
      ctx.upstreamMs = performance.now() - sentAt;
      const status = proxyRes.statusCode ?? 502;
      if (status === 101) {
        // The same without an Upgrade header.
        proxyReq.destroy(unaskedSwitch);
        return;
      }
      mode?.onHead?.(status);
      if (mode?.retryStatuses?.has(status)) {
        proxyRes.resume();
        return fail(
          markRetryable(
            new GatewayError('GW_UPSTREAM_FAILED', `${pool.name} (${target.key}) answered ${status}`, {
              status,
              extensions: { upstreamStatus: status },
            }),
          ),
        );
      }
      const buffer = mode?.buffer;
      if (buffer && (buffer.when?.(status, proxyRes.headers) ?? true)) {
        return collect(proxyRes, buffer.maxBytes, buffer.streamOverflow === true);
      }
      stream(proxyRes, []);
    });

    const stream = (proxyRes: IncomingMessage, already: Buffer[]) => {
      if (ctx.responseHooks.length === 0) {
        const list = responseHeaderList(proxyRes.rawHeaders, ctx.responseHeaders);
        ctx.sentHeaders = list;
        res.writeHead(proxyRes.statusCode ?? 502, list);
      } else {
        const head = prepareHead(ctx, proxyRes);
        res.writeHead(head.status, head.headers);
      }
      for (const chunk of already) res.write(chunk);
      relayBody(proxyRes, res);
    };

    const collect = (proxyRes: IncomingMessage, maxBytes: number, streamOverflow: boolean) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes && streamOverflow) {
          // Too big to keep: send what came so far and stream the rest; res 'close' settles.
          // Only our own listeners go (Node's own 'end' listener returns the socket to the agent).
          proxyRes.off('data', onData).off('error', onBroken).off('aborted', onBroken).off('end', onEnd);
          chunks.push(chunk);
          stream(proxyRes, chunks);
          return;
        }
        if (size > maxBytes) {
          // Fail first: destroying emits 'aborted' at once, which would report a reset instead.
          fail(
            new GatewayError(
              'GW_UPSTREAM_BAD_RESPONSE',
              `${pool.name} answered with more than ${maxBytes} bytes, too large to buffer`,
            ),
          );
          proxyRes.destroy();
          return;
        }
        chunks.push(chunk);
      };
      const onBroken = () =>
        fail(upstreamError({ code: 'ECONNRESET' }, target.key, pool.name, ctx.timeoutMs));
      const onEnd = () => {
        if (!finish('ok')) return;
        const head = prepareHead(ctx, proxyRes);
        resolve({ status: head.status, headers: head.headers, body: Buffer.concat(chunks, size) });
      };
      proxyRes.on('data', onData);
      proxyRes.once('error', onBroken);
      proxyRes.once('aborted', onBroken);
      proxyRes.once('end', onEnd);
    };

    if (Buffer.isBuffer(body)) {
      proxyReq.end(body);
    } else if (body !== undefined) {
      body.once('error', (error: Error) => proxyReq.destroy(error));
      body.pipe(proxyReq);
    } else if (declaresBody(ctx.upstreamHeaders)) {
      // A client that breaks off its body mid-way: the upstream request goes with it.
      req.once('error', () => proxyReq.destroy());
      req.pipe(proxyReq);
    } else {
      proxyReq.end();
    }
  });
}
