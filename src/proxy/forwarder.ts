import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import type { GatewayContext } from '../pipeline/types.js';
import type { GatewayError } from '../errors.js';
import type { Target, UpstreamPool } from './upstream-types.js';
import { stripHopByHop } from './forward-headers.js';
import { classifyUpstreamError, upstreamError } from './upstream-errors.js';

/**
 * The one module that talks to the proxy library (http-proxy-3, node-http-proxy's maintained
 * rewrite). Everything else sees GatewayContext and a promise; swapping the engine is a one-file
 * change, as it was for Vite.
 */
export interface Forwarder {
  /**
   * Streams the request to `target` and the answer back. Settles when the client response is
   * done; rejects with a GatewayError when the forward failed before any byte reached the client.
   */
  web(ctx: GatewayContext, pool: UpstreamPool, target: Target): Promise<void>;
  /**
   * Proxies a WebSocket upgrade. `refuse` is called synchronously when the upstream could not be
   * reached, while the client socket can still carry an HTTP answer.
   */
  ws(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    pool: UpstreamPool,
    target: Target,
    refuse: (error: GatewayError) => void,
  ): void;
  close(): void;
}

interface InFlight {
  ctx: GatewayContext;
  proxyReq: ClientRequest | undefined;
  timedOut: boolean;
  timer: NodeJS.Timeout | undefined;
  sentAt: number;
}

const inFlightKey = Symbol('gw.inFlight');
const upgradedKey = Symbol('gw.upgraded');
type TrackedRequest = IncomingMessage & { [inFlightKey]?: InFlight; [upgradedKey]?: boolean };

function timeoutError(ms: number): Error {
  return Object.assign(new Error(`upstream did not answer within ${ms} ms`), { code: 'GW_UPSTREAM_TIMEOUT' });
}

export function createForwarder(): Forwarder {
  // xfwd is off: the pipeline sets X-Forwarded-* itself, replacing rather than appending.
  const proxy = createProxyServer({ xfwd: false, changeOrigin: false });
  // http-proxy throws on 'error' when nobody listens; every call passes a callback, this is a net.
  proxy.on('error', () => {});

  proxy.on('proxyReq', (proxyReq: ClientRequest, req: IncomingMessage) => {
    const state = (req as TrackedRequest)[inFlightKey];
    if (!state) return;
    state.proxyReq = proxyReq;
    if (state.timedOut) proxyReq.destroy(timeoutError(state.ctx.timeoutMs));
  });

  proxy.on('proxyReqWs', (proxyReq: ClientRequest, req: IncomingMessage) => {
    proxyReq.once('upgrade', () => {
      (req as TrackedRequest)[upgradedKey] = true;
    });
  });

  proxy.on('proxyRes', (proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse) => {
    const state = (req as TrackedRequest)[inFlightKey];
    if (!state) return;
    clearTimeout(state.timer);
    const { ctx } = state;
    ctx.upstreamMs = performance.now() - state.sentAt;
    stripHopByHop(proxyRes.headers);
    const head = { status: proxyRes.statusCode ?? 502, headers: proxyRes.headers };
    for (const hook of ctx.responseHooks) hook(head, ctx);
    proxyRes.statusCode = head.status;
    for (const name in ctx.responseHeaders) {
      const value = ctx.responseHeaders[name];
      if (value !== undefined) proxyRes.headers[name] = typeof value === 'number' ? String(value) : value;
    }
    // An upstream that dies mid-body must not leave the client waiting for bytes that never come.
    proxyRes.once('aborted', () => res.destroy());
    proxyRes.once('error', () => res.destroy());
  });

  return {
    web(ctx, pool, target) {
      const req = ctx.req as TrackedRequest;
      const res = ctx.res;
      return new Promise<void>((resolve, reject) => {
        let done = false;
        const state: InFlight = { ctx, proxyReq: undefined, timedOut: false, timer: undefined, sentAt: performance.now() };
        req[inFlightKey] = state;
        const finish = (outcome: 'ok' | 'connect-failed' | 'failed') => {
          if (done) return false;
          done = true;
          clearTimeout(state.timer);
          req[inFlightKey] = undefined;
          pool.finished(target, outcome);
          return true;
        };
        state.timer = setTimeout(() => {
          state.timedOut = true;
          state.proxyReq?.destroy(timeoutError(ctx.timeoutMs));
        }, ctx.timeoutMs);
        res.once('close', () => {
          // Client aborts end here too: http-proxy-3 destroys the upstream request on res 'close'.
          if (finish(res.writableFinished ? 'ok' : 'failed')) resolve();
        });
        ctx.target = target.key;
        ctx.upstreamUrl = target.key + ctx.upstreamPath + ctx.search;
        req.url = ctx.upstreamPath + ctx.search;
        pool.started(target);
        proxy.web(req, res, { target: target.url, agent: pool.agent }, (error: Error) => {
          const failure = state.timedOut ? 'timeout' : classifyUpstreamError(error);
          if (!finish(failure === 'connect' ? 'connect-failed' : 'failed')) return;
          if (res.headersSent) {
            res.destroy();
            resolve();
            return;
          }
          reject(upstreamError(state.timedOut ? timeoutError(ctx.timeoutMs) : error, target.key, pool.name, ctx.timeoutMs));
        });
      });
    },

    ws(req, socket, head, pool, target, refuse) {
      (req as TrackedRequest)[upgradedKey] = false;
      pool.started(target);
      socket.once('close', () => pool.finished(target, 'ok'));
      req.url = req.url ?? '/';
      proxy.ws(req, socket, head, { target: target.url }, (error: Error) => {
        // Called synchronously before the library ends the socket, so a refusal can still be
        // written as an HTTP answer instead of a dropped connection.
        if ((req as TrackedRequest)[upgradedKey] || socket.destroyed) return;
        refuse(upstreamError(error, target.key, pool.name, pool.timeoutMs));
      });
    },

    close() {
      proxy.close();
    },
  };
}
