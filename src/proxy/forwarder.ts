import type { ClientRequest, IncomingMessage } from 'node:http';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createProxyServer } from 'http-proxy-3';
import type { Forwarder } from './forwarder-types.js';
import { forwardHttp } from './http-forward.js';
import { carriedByUndici, forwardWithUndici } from './undici-forward.js';
import { createHttp2Forward } from './http2-forward.js';
import { createHttp2Sessions } from './http2-sessions.js';
import { connectOptions } from './keep-alive-agent.js';
import { timeoutError } from './upstream-head.js';
import { classifyUpstreamError, upstreamError } from './upstream-errors.js';
import { upgradeAgentOf } from './upstream-tls.js';

/**
 * What the pipeline forwards with. HTTP requests go out on Node's own client (http-forward.ts);
 * WebSocket upgrades go through the proxy library (http-proxy-3, node-http-proxy's maintained
 * rewrite), the one module that imports it: its upgrade pass relays the handshake, both sockets
 * and their errors, which is the part worth reusing.
 */
export type { Forwarder, ForwardMode, UpstreamResponse, WsOptions } from './forwarder-types.js';
export { isRetryable } from './forwarder-types.js';

const upgradedKey = Symbol('gw.upgraded');
const wsRequestKey = Symbol('gw.wsRequest');
type TrackedRequest = IncomingMessage & {
  [upgradedKey]?: boolean;
  [wsRequestKey]?: ClientRequest;
};

export function createForwarder(): Forwarder {
  // xfwd is off: the pipeline sets X-Forwarded-* itself, replacing rather than appending.
  const proxy = createProxyServer({ xfwd: false, changeOrigin: false });
  // http-proxy throws on 'error' when nobody listens; every call passes a callback, this is a net.
  proxy.on('error', () => {});
  // Upgrades need the same connect options as requests (a `localhost` target on ::1), but never
  // reuse a socket: plain agents, not the services' keep-alive ones.
  const upgradeAgents = {
    http: new HttpAgent({ ...connectOptions }),
    https: new HttpsAgent({ ...connectOptions }),
  };

  proxy.on('proxyReqWs', (proxyReq: ClientRequest, req: IncomingMessage) => {
    (req as TrackedRequest)[wsRequestKey] = proxyReq;
    proxyReq.once('upgrade', () => {
      (req as TrackedRequest)[upgradedKey] = true;
    });
  });

  // Services with `protocol: 'http2'` or `'grpc'` go out on node:http2, one session per target.
  const http2Sessions = createHttp2Sessions();
  const forwardHttp2 = createHttp2Forward(http2Sessions);

  return {
    web: (ctx, pool, target, mode) =>
      pool.protocol === 'http2' || pool.protocol === 'grpc'
        ? forwardHttp2(ctx, pool, target, mode)
        : carriedByUndici(ctx, target, mode)
          ? forwardWithUndici(ctx, pool, target, mode, forwardHttp)
          : forwardHttp(ctx, pool, target, mode),

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
      // Policies remove a header by setting it to undefined; the library would send that as is.
      for (const name in req.headers) if (req.headers[name] === undefined) delete req.headers[name];
      const agent =
        target.url.protocol !== 'https:'
          ? upgradeAgents.http
          : target.tls
            ? upgradeAgentOf(target.tls)
            : upgradeAgents.https;
      const changeOrigin = pool.hostHeader === 'target';
      proxy.ws(req, socket, head, { target: target.url, agent, changeOrigin }, (error: Error) => {
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
      http2Sessions.close();
      proxy.close();
      upgradeAgents.http.destroy();
      upgradeAgents.https.destroy();
    },
  };
}
