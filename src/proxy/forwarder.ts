import type { ClientRequest, IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import type { GatewayContext } from '../pipeline/types.js';
import { GatewayError, isGatewayError } from '../errors.js';
import { markRetryable, type Forwarder, type ForwardMode, type UpstreamResponse } from './forwarder-types.js';
import { prepareHead, timeoutError } from './upstream-head.js';
import { classifyUpstreamError, upstreamError } from './upstream-errors.js';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { connectOptions } from './keep-alive-agent.js';

/**
 * The one module that talks to the proxy library (http-proxy-3, node-http-proxy's maintained
 * rewrite). Everything else sees GatewayContext and promises; swapping the engine is a one-file
 * change, as it was for Vite.
 *
 * The library sends the request (connection reuse, body streaming, abort handling); the answer is
 * always self-handled here, so that one code path can stream it, buffer it for a policy
 * (cache, transform) or turn a retryable status into a retry before any byte reaches the client.
 */
export type { Forwarder, ForwardMode, UpstreamResponse, WsOptions } from './forwarder-types.js';
export { isRetryable } from './forwarder-types.js';

interface InFlight {
  ctx: GatewayContext;
  mode: ForwardMode | undefined;
  proxyReq: ClientRequest | undefined;
  timedOut: boolean;
  /** The client sent a chunked body (the upstream request must be chunked too). */
  chunked: boolean;
  /** A GatewayError from a replacement body stream (e.g. bodyLimit): the forward fails with it. */
  bodyError: Error | undefined;
  timer: NodeJS.Timeout | undefined;
  sentAt: number;
  onResponse: (proxyRes: IncomingMessage) => void;
}

const inFlightKey = Symbol('gw.inFlight');
const upgradedKey = Symbol('gw.upgraded');
const wsRequestKey = Symbol('gw.wsRequest');
type TrackedRequest = IncomingMessage & {
  [inFlightKey]?: InFlight;
  [upgradedKey]?: boolean;
  [wsRequestKey]?: ClientRequest;
};

/**
 * The body policies want sent instead of the client's (ctx.requestBody), as the library's
 * `buffer` option: a fresh stream per attempt for a Buffer (transformed JSON), or the policy's
 * stream (bodyLimit's byte counter), whose error fails the forward with that error.
 */
function replacementBody(ctx: GatewayContext, state: InFlight): { buffer: Readable } | undefined {
  const body = ctx.requestBody;
  if (body === undefined) return undefined;
  const headers = ctx.upstreamHeaders;
  if (Buffer.isBuffer(body)) {
    state.chunked = false;
    delete headers['transfer-encoding'];
    headers['content-length'] = String(body.length);
    return { buffer: Readable.from([body]) };
  }
  // A stream of unknown length goes chunked, whatever the method.
  state.chunked = true;
  delete headers['content-length'];
  headers['transfer-encoding'] = 'chunked';
  body.once('error', (error: Error) => {
    state.bodyError = error;
    state.proxyReq?.destroy(error);
  });
  return { buffer: body };
}

export function createForwarder(): Forwarder {
  // xfwd is off: the pipeline sets X-Forwarded-* itself, replacing rather than appending.
  // target, agent and buffer come with each call; they are declared here (undefined) so that the
  // library's per-call merge `{ ...options, ...perCall }` keeps one object shape: per-call keys
  // the defaults lack cost ~10 µs of CPU per request (issue 7, measured against bare http-proxy-3).
  const proxy = createProxyServer({
    xfwd: false,
    changeOrigin: false,
    selfHandleResponse: true,
    target: undefined,
    agent: undefined,
    buffer: undefined,
  });
  // http-proxy throws on 'error' when nobody listens; every call passes a callback, this is a net.
  proxy.on('error', () => {});
  // Upgrades need the same connect options as requests (a `localhost` target on ::1), but never
  // reuse a socket: plain agents, not the services' keep-alive ones.
  const upgradeAgents = {
    http: new HttpAgent({ ...connectOptions }),
    https: new HttpsAgent({ ...connectOptions }),
  };
  // The library's deleteLength pass turns a chunked DELETE/OPTIONS body into `Content-Length: 0`
  // and streams the body anyway, which the upstream reads as a second request. This pass runs
  // right after it (before 'timeout') and puts the chunked framing back.
  proxy.before('web', 'timeout', function keepChunkedFraming(req: IncomingMessage) {
    if (!(req as TrackedRequest)[inFlightKey]?.chunked) return;
    delete req.headers['content-length'];
    req.headers['transfer-encoding'] = 'chunked';
  });

  proxy.on('proxyReq', (proxyReq: ClientRequest, req: IncomingMessage) => {
    const state = (req as TrackedRequest)[inFlightKey];
    if (!state) return;
    state.proxyReq = proxyReq;
    if (state.timedOut) proxyReq.destroy(timeoutError(state.ctx.timeoutMs));
    else if (state.bodyError) proxyReq.destroy(state.bodyError);
  });

  proxy.on('proxyReqWs', (proxyReq: ClientRequest, req: IncomingMessage) => {
    (req as TrackedRequest)[wsRequestKey] = proxyReq;
    proxyReq.once('upgrade', () => {
      (req as TrackedRequest)[upgradedKey] = true;
    });
  });

  proxy.on('proxyRes', (proxyRes: IncomingMessage, req: IncomingMessage) => {
    const state = (req as TrackedRequest)[inFlightKey];
    if (!state) {
      proxyRes.resume();
      return;
    }
    clearTimeout(state.timer);
    state.ctx.upstreamMs = performance.now() - state.sentAt;
    state.onResponse(proxyRes);
  });

  return {
    web(ctx, pool, target, mode) {
      const req = ctx.req as TrackedRequest;
      const res = ctx.res;
      return new Promise<UpstreamResponse | undefined>((resolve, reject) => {
        let done = false;
        const finish = (outcome: 'ok' | 'connect-failed' | 'failed') => {
          if (done) return false;
          done = true;
          clearTimeout(state.timer);
          req[inFlightKey] = undefined;
          pool.finished(target, outcome);
          return true;
        };
        const fail = (error: GatewayError) => {
          if (finish('failed')) reject(error);
        };
        const state: InFlight = {
          ctx,
          mode,
          proxyReq: undefined,
          timedOut: false,
          chunked: req.headers['transfer-encoding'] !== undefined,
          bodyError: undefined,
          timer: undefined,
          sentAt: performance.now(),
          onResponse: (proxyRes) => {
            const status = proxyRes.statusCode ?? 502;
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
          },
        };
        const stream = (proxyRes: IncomingMessage, already: Buffer[]) => {
          const head = prepareHead(ctx, proxyRes);
          res.writeHead(head.status, head.headers);
          for (const chunk of already) res.write(chunk);
          // An upstream that dies mid-body must not leave the client waiting for bytes that never come.
          proxyRes.once('aborted', () => res.destroy());
          proxyRes.once('error', () => res.destroy());
          proxyRes.pipe(res);
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
        req[inFlightKey] = state;
        state.timer = setTimeout(() => {
          state.timedOut = true;
          state.proxyReq?.destroy(timeoutError(ctx.timeoutMs));
        }, ctx.timeoutMs);
        res.once('close', () => {
          // Client aborts end here too: http-proxy-3 destroys the upstream request on res 'close'.
          if (finish(res.writableFinished ? 'ok' : 'failed')) resolve(undefined);
        });
        ctx.target = target.key;
        ctx.upstreamUrl = target.key + ctx.upstreamPath + ctx.search;
        // The server already answered `100 Continue` to the client. Forwarded, Expect also makes
        // http-proxy skip its 'proxyReq' event, and the timeout could never cut the upstream request.
        delete req.headers.expect;
        req.url = ctx.upstreamPath + ctx.search;
        pool.started(target);
        const body = replacementBody(ctx, state);
        proxy.web(req, res, { target: target.url, agent: target.agent, ...body }, (error: Error) => {
          // A replacement body that failed (e.g. over bodyLimit) is the client's doing, not the target's.
          if (isGatewayError(error)) {
            if (finish('ok')) reject(error);
            return;
          }
          const failure = state.timedOut ? 'timeout' : classifyUpstreamError(error);
          if (!finish(failure === 'connect' ? 'connect-failed' : 'failed')) return;
          if (res.headersSent) {
            res.destroy();
            resolve(undefined);
            return;
          }
          const gatewayError = upstreamError(
            state.timedOut ? timeoutError(ctx.timeoutMs) : error,
            target.key,
            pool.name,
            ctx.timeoutMs,
          );
          // A connect failure never reached the upstream: safe to retry elsewhere, whatever the method.
          reject(failure === 'connect' ? markRetryable(gatewayError) : gatewayError);
        });
      });
    },

    ws(req, socket, head, pool, target, refuse, options = {}) {
      const timeoutMs = options.timeoutMs ?? pool.timeoutMs;
      const tracked = req as TrackedRequest;
      tracked[upgradedKey] = false;
      let outcome: 'ok' | 'connect-failed' | 'failed' = 'ok';
      pool.started(target);
      // The library cuts the upstream request only once upgraded: a handshake the upstream never
      // answers, or one the client gave up on, would stay open for good without these.
      const handshakeTimer = setTimeout(() => {
        if (!tracked[upgradedKey]) tracked[wsRequestKey]?.destroy(timeoutError(timeoutMs));
      }, timeoutMs);
      socket.once('close', () => {
        clearTimeout(handshakeTimer);
        if (!tracked[upgradedKey]) tracked[wsRequestKey]?.destroy();
        pool.finished(target, outcome);
      });
      // The server keeps sockets half-open: a client that hangs up before the upstream accepted
      // would otherwise never 'close'.
      socket.once('end', () => {
        if (!tracked[upgradedKey]) socket.destroy();
      });
      const agent = target.url.protocol === 'https:' ? upgradeAgents.https : upgradeAgents.http;
      proxy.ws(req, socket, head, { target: target.url, agent }, (error: Error) => {
        clearTimeout(handshakeTimer);
        // Called synchronously before the library ends the socket, so a refusal can still be
        // written as an HTTP answer instead of a dropped connection.
        if (tracked[upgradedKey] || socket.destroyed) return;
        outcome = classifyUpstreamError(error) === 'connect' ? 'connect-failed' : 'failed';
        refuse(upstreamError(error, target.key, pool.name, timeoutMs));
      });
      // Accepted, or refused with an HTTP answer the library relays: the handshake is over.
      tracked[wsRequestKey]?.once('upgrade', () => {
        clearTimeout(handshakeTimer);
        options.onHandshake?.(101);
      });
      tracked[wsRequestKey]?.once('response', (proxyRes: IncomingMessage) => {
        clearTimeout(handshakeTimer);
        options.onHandshake?.(proxyRes.statusCode ?? 502);
      });
    },

    close() {
      proxy.close();
      upgradeAgents.http.destroy();
      upgradeAgents.https.destroy();
    },
  };
}
