import type { EventEmitter } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import type { SecureContextOptions } from 'node:tls';
import { GatewayError } from '../errors.js';
import { GatewayHttp2Request } from '../pipeline/intake/http2-request.js';
import { GatewayHttp2Response } from '../pipeline/intake/http2-response.js';
import { sendProblem } from '../pipeline/problem.js';

/** How the gateway server answers a request, whichever protocol carried it. */
export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** Node's compatibility API with gw's request and response adapters. */
const adapters = {
  Http2ServerRequest: GatewayHttp2Request,
  Http2ServerResponse: GatewayHttp2Response,
};

/**
 * The cleartext HTTP/2 server: it never listens, connections come from the preface check.
 * Extended CONNECT is advertised so that a WebSocket over HTTP/2 (RFC 8441) reaches gw and is
 * refused with a problem answer rather than a bare stream reset. Browsers never speak cleartext
 * HTTP/2, so none is led to try it.
 */
export function createCleartextHttp2(): http2.Http2Server<
  typeof http.IncomingMessage,
  typeof http.ServerResponse,
  typeof GatewayHttp2Request,
  typeof GatewayHttp2Response
> {
  return http2.createServer({ ...adapters, settings: { enableConnectProtocol: true } });
}

/**
 * The TLS listener: ALPN picks `h2` or `http/1.1` (RFC 7301), Node serves both from one server.
 * Extended CONNECT is not advertised here: browsers that see it open WebSockets over HTTP/2,
 * which gw does not proxy; without it they open them over HTTP/1.1, which it does.
 */
export function createSecureHttp(tls: SecureContextOptions & { SNICallback?: unknown }) {
  return http2.createSecureServer({ ...tls, ...adapters, allowHTTP1: true } as http2.SecureServerOptions<
    typeof http.IncomingMessage,
    typeof http.ServerResponse,
    typeof GatewayHttp2Request,
    typeof GatewayHttp2Response
  >);
}

/**
 * HTTP/2 sessions of a server, so that shutdown can send GOAWAY (streams in flight finish, no new
 * ones start, RFC 9113 §6.8) and end them once the grace is over. A session with no stream open
 * and no frame for `idleMs` (server.keepAliveTimeout, as for HTTP/1.1 keep-alive) is closed the
 * same way, so idle browser connections do not stay open until shutdown; one waiting on a slow
 * answer is left alone.
 */
export function trackSessions(server: EventEmitter, idleMs: number) {
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    let open = 0;
    const closed = () => (open -= 1);
    session.on('stream', (stream: http2.ServerHttp2Stream) => {
      open += 1;
      // 'close' comes once per stream: `on` spares once()'s wrapper, one listener for them all.
      stream.on('close', closed);
    });
    // Node's own timeout handling destroys the session; GOAWAY lets the client go cleanly.
    session.setTimeout(idleMs);
    session.on('timeout', () => {
      if (open > 0) session.setTimeout(idleMs);
      else session.close();
    });
  });
  return {
    close: () => {
      for (const session of sessions) session.close();
    },
    destroy: () => {
      for (const session of sessions) session.destroy();
    },
  };
}

/** The answer to CONNECT over HTTP/2: gw opens no tunnels, nor WebSockets over HTTP/2. */
export function refuseHttp2Connect(req: GatewayHttp2Request, res: GatewayHttp2Response): void {
  const protocol = req.headers[':protocol'];
  sendProblem(
    res,
    protocol !== undefined
      ? new GatewayError(
          'GW_CONNECT_NOT_SUPPORTED',
          `Extended CONNECT (${String(protocol)} over HTTP/2, RFC 8441) is not supported by the gateway`,
          { hint: 'Open WebSockets over HTTP/1.1 (a GET with Upgrade: websocket).' },
        )
      : new GatewayError('GW_CONNECT_NOT_SUPPORTED', 'CONNECT tunnels are not supported by the gateway'),
  );
}

/** The TLS listener as createSecureHttp makes it. */
export type SecureHttpServer = ReturnType<typeof createSecureHttp>;

/**
 * Closes the idle HTTP/1.1 connections of the TLS listener: Node's Http2SecureServer does it
 * with `allowHTTP1` (it shares the HTTP/1.1 server's connection tracking), its type omits it.
 */
export function closeIdleHttp1(server: SecureHttpServer): void {
  Reflect.apply(http.Server.prototype.closeIdleConnections, server, []);
}
