import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import { GatewayError } from '../errors.js';
import type { BuiltGateway } from '../pipeline/build-gateway.js';
import { sendProblem, writeProblemToSocket } from '../pipeline/problem.js';
import { continueOnFirstRead } from '../pipeline/intake/expect-continue.js';
import type { ServerOptions } from '../config/schema.js';
import type { GatewayHttp2Request } from '../pipeline/intake/http2-request.js';
import type { GatewayHttp2Response } from '../pipeline/intake/http2-response.js';
import {
  createCleartextHttp2,
  createSecureHttp,
  refuseHttp2Connect,
  closeIdleHttp1,
  trackSessions,
  type RequestHandler,
  type SecureHttpServer,
} from './http2-side.js';
import { sniffPreface } from './sniff-preface.js';

/**
 * The HTTP server around a swappable gateway: `use(next)` swaps it for new requests while
 * requests in flight finish on the gateway they started with (captured per request).
 * One port, several protocols: without TLS it speaks HTTP/1.1 and cleartext HTTP/2 with prior
 * knowledge (RFC 9113 §3.3), each new connection's first bytes saying which server reads it;
 * with TLS, ALPN chooses between `h2` and `http/1.1`. Every protocol hands the same request shape
 * to the gateway (HTTP/2 through the adapters in pipeline/intake/http2-*.ts).
 */
export interface GatewayServer {
  readonly server: http.Server | SecureHttpServer;
  /** 'https' when the port serves TLS. */
  readonly scheme: 'http' | 'https';
  current(): BuiltGateway;
  use(next: BuiltGateway): BuiltGateway;
  listen(port: number, host: string): Promise<{ port: number; host: string; url: string }>;
  /** Stops accepting, lets in-flight requests finish within `graceMs`, then closes the rest. */
  shutdown(graceMs: number): Promise<void>;
}

/** The listener's certificates: a default one, and an SNI callback choosing one per host name. */
export type GatewayServerTls = Pick<SecureContextOptions, 'cert' | 'key'> & {
  SNICallback?: (servername: string, cb: (error: Error | null, ctx?: unknown) => void) => void;
};

/** HTTP/1.1 settings, which Node reads from the server object (also the TLS one's HTTP/1.1 side). */
function http1Settings(options: ServerOptions) {
  return {
    headersTimeout: options.headersTimeout,
    requestTimeout: options.requestTimeout,
    maxHeaderSize: options.maxHeaderSize,
    keepAliveTimeout: options.keepAliveTimeout,
    // Node checks the two timeouts above only this often (30 s by default), so a slow client
    // could outlast a short headersTimeout by half a minute; one sweep a second is cheap.
    connectionsCheckingInterval: Math.min(1_000, options.headersTimeout),
    // Node's own answer to an HTTP/1.1 request without Host is a bare 400; the gateway's
    // request check answers it with a problem instead.
    requireHostHeader: false,
  };
}

export function createGatewayServer(
  initial: BuiltGateway,
  options: ServerOptions,
  tls?: GatewayServerTls,
): GatewayServer {
  let gateway = initial;
  let closing = false;
  function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (closing && req.httpVersionMajor === 1) res.setHeader('connection', 'close');
    gateway.handle(req, res);
  }
  const onContinue: RequestHandler = (req, res) => {
    continueOnFirstRead(req, res);
    onRequest(req, res);
  };
  // Upgraded sockets leave the HTTP server's bookkeeping; track them so shutdown can end them.
  const upgraded = new Set<Duplex>();
  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    gateway.upgrade(req, socket, head);
  };

  let server: http.Server | SecureHttpServer;
  let sessions: ReturnType<typeof trackSessions>;
  /** Connections to end when the grace is over (the TLS server has no closeAllConnections). */
  let closeAll: () => void;
  let closeIdle: () => void;
  if (tls) {
    const secure = createSecureHttp(tls);
    Object.assign(secure, http1Settings(options));
    secure.on('request', onRequest);
    // With a listener here Node does not answer `100 Continue` by itself: gw answers it once
    // the route's policies let the body in (see continueOnFirstRead).
    secure.on('checkContinue', onContinue);
    secure.on('checkExpectation', refuseExpectation);
    secure.on('upgrade', onUpgrade);
    // HTTP/1.1 hands over (req, socket), HTTP/2 (req, res).
    secure.on(
      'connect',
      (req: http.IncomingMessage | GatewayHttp2Request, second: Duplex | GatewayHttp2Response) => {
        if (req.httpVersionMajor === 2)
          refuseHttp2Connect(req as GatewayHttp2Request, second as GatewayHttp2Response);
        else refuseConnect(req, second as Duplex);
      },
    );
    secure.on('clientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
      // A failed handshake has no HTTP connection to answer on.
      if (!socket.encrypted || error.code?.startsWith('ERR_SSL') === true) return socket.destroy();
      answerClientError(error, socket);
    });
    const sockets = new Set<TLSSocket>();
    secure.on('secureConnection', (socket: TLSSocket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    closeAll = () => {
      for (const socket of sockets) socket.destroy();
    };
    closeIdle = () => closeIdleHttp1(secure);
    sessions = trackSessions(secure, options.keepAliveTimeout);
    server = secure;
  } else {
    const plain = http.createServer(http1Settings(options), onRequest);
    plain.on('checkContinue', onContinue);
    plain.on('checkExpectation', refuseExpectation);
    plain.on('connect', refuseConnect);
    plain.on('upgrade', onUpgrade);
    plain.on('clientError', answerClientError);
    const h2c = createCleartextHttp2();
    h2c.on('request', onRequest);
    h2c.on('checkContinue', onContinue);
    h2c.on('checkExpectation', refuseExpectation);
    h2c.on('connect', refuseHttp2Connect);
    sessions = trackSessions(h2c, options.keepAliveTimeout);
    // The HTTP/1.1 server keeps its own connection handling (timeouts, the connection tracking
    // closeIdleConnections uses); it only stops receiving the HTTP/2 connections.
    const serveHttp1 = plain.listeners('connection');
    if (serveHttp1.length !== 1) throw new Error('the HTTP server has an unexpected connection listener');
    const http1 = serveHttp1[0] as (socket: Socket) => void;
    plain.removeAllListeners('connection');
    plain.on('connection', (socket: Socket) =>
      sniffPreface(socket, options.headersTimeout, {
        http1: (s) => http1.call(plain, s),
        http2: (s) => {
          // The session, not the socket, decides when the connection ends.
          s.allowHalfOpen = false;
          h2c.emit('connection', s);
        },
      }),
    );
    closeAll = () => plain.closeAllConnections();
    closeIdle = () => plain.closeIdleConnections();
    server = plain;
  }
  const scheme = tls ? 'https' : 'http';

  return {
    server,
    scheme,
    current: () => gateway,
    use(next) {
      const previous = gateway;
      gateway = next;
      return previous;
    },
    listen(port, host) {
      return new Promise((resolve, reject) => {
        const onError = (error: NodeJS.ErrnoException) => {
          server.off('listening', onListening);
          if (error.code === 'EADDRINUSE') {
            reject(
              new GatewayError('GW_PORT_IN_USE', `Port ${port} on ${host} is already in use`, {
                cause: error,
              }),
            );
          } else reject(error);
        };
        const onListening = () => {
          server.off('error', onError);
          const address = server.address() as AddressInfo;
          const shownHost = address.address.includes(':') ? `[${address.address}]` : address.address;
          resolve({
            port: address.port,
            host: address.address,
            url: `${scheme}://${shownHost}:${address.port}`,
          });
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen(port, host);
      });
    },
    shutdown(graceMs) {
      closing = true;
      // GOAWAY: HTTP/2 streams in flight finish, no new ones start.
      sessions.close();
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          closeAll();
          sessions.destroy();
          for (const socket of upgraded) socket.destroy();
        }, graceMs);
        force.unref();
        // Keep-alive sockets turn idle as their last request finishes: close them as they do,
        // so shutdown takes as long as the slowest request, not the keep-alive timeout.
        const sweep = setInterval(closeIdle, 50);
        sweep.unref();
        server.close(() => {
          clearTimeout(force);
          clearInterval(sweep);
          resolve();
        });
        closeIdle();
      });
    },
  };
}

/** A reverse proxy opens no tunnels: without this listener Node drops the socket unanswered. */
function refuseConnect(_req: http.IncomingMessage, socket: Duplex): void {
  socket.on('error', () => socket.destroy());
  writeProblemToSocket(
    socket,
    new GatewayError('GW_CONNECT_NOT_SUPPORTED', 'CONNECT tunnels are not supported by the gateway'),
  );
}

/** Malformed requests get an answer, not a dropped socket (and never a crash). */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const problem = new GatewayError(
    'GW_BAD_REQUEST',
    tooLarge
      ? 'The request head is too large'
      : timedOut
        ? 'The request took too long to arrive'
        : `Malformed request (${error.code ?? 'parse error'})`,
    { status: tooLarge ? 431 : timedOut ? 408 : 400 },
  );
  writeProblemToSocket(socket, problem);
}

function refuseExpectation(_req: http.IncomingMessage, res: http.ServerResponse): void {
  // RFC 9110 §10.1.1: an expectation the server cannot meet is 417.
  const error = new GatewayError('GW_BAD_REQUEST', 'Only the expectation 100-continue is supported', {
    status: 417,
    hint: 'Send the request without Expect, or with Expect: 100-continue.',
  });
  sendProblem(res, error);
}
