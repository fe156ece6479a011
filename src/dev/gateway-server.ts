import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { GatewayError } from '../errors.js';
import type { BuiltGateway } from '../pipeline/build-gateway.js';
import { sendProblem, writeProblemToSocket } from '../pipeline/problem.js';
import { continueOnFirstRead } from '../pipeline/intake/expect-continue.js';
import type { ServerOptions } from '../config/schema.js';
import { GatewayHttp2Request } from '../pipeline/intake/http2-request.js';
import { GatewayHttp2Response } from '../pipeline/intake/http2-response.js';
import { sniffPreface } from './sniff-preface.js';

/**
 * The HTTP server around a swappable gateway: `use(next)` swaps it for new requests while
 * requests in flight finish on the gateway they started with (captured per request).
 * One port speaks HTTP/1.1 and cleartext HTTP/2 with prior knowledge (RFC 9113 §3.3): each new
 * connection's first bytes say which server reads it, and both hand the same request shape to
 * the gateway (HTTP/2 through the adapters in pipeline/intake/http2-*.ts).
 */
export interface GatewayServer {
  readonly server: http.Server;
  current(): BuiltGateway;
  use(next: BuiltGateway): BuiltGateway;
  listen(port: number, host: string): Promise<{ port: number; host: string; url: string }>;
  /** Stops accepting, lets in-flight requests finish within `graceMs`, then closes the rest. */
  shutdown(graceMs: number): Promise<void>;
}

export function createGatewayServer(initial: BuiltGateway, options: ServerOptions): GatewayServer {
  let gateway = initial;
  let closing = false;
  const server = http.createServer(
    {
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
    },
    onRequest,
  );
  function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (closing) res.setHeader('connection', 'close');
    gateway.handle(req, res);
  }
  // With a listener here Node does not answer `100 Continue` by itself: gw answers it once the
  // route's policies let the body in (see continueOnFirstRead).
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    continueOnFirstRead(req, res);
    onRequest(req, res);
  });
  server.on('checkExpectation', refuseExpectation);
  // A reverse proxy opens no tunnels: without this listener Node drops the socket unanswered.
  server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    writeProblemToSocket(
      socket,
      new GatewayError('GW_CONNECT_NOT_SUPPORTED', 'CONNECT tunnels are not supported by the gateway'),
    );
  });
  // Upgraded sockets leave the HTTP server's bookkeeping; track them so shutdown can end them.
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    gateway.upgrade(req, socket, head);
  });
  const h2c = createHttp2Server(onRequest);
  // The HTTP/1.1 server keeps its own connection handling (timeouts, connection tracking for
  // closeIdleConnections); it only stops receiving HTTP/2 connections.
  const serveHttp1 = server.listeners('connection');
  if (serveHttp1.length !== 1) throw new Error('the HTTP server has an unexpected connection listener');
  const http1 = serveHttp1[0] as (socket: Socket) => void;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) =>
    sniffPreface(socket, options.headersTimeout, {
      http1: (s) => http1.call(server, s),
      http2: (s) => {
        // The session, not the socket, decides when the connection ends.
        s.allowHalfOpen = false;
        h2c.server.emit('connection', s);
      },
    }),
  );

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // Malformed requests get an answer, not a dropped socket (and never a crash).
    if (error.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const problem = new GatewayError(
      'GW_BAD_REQUEST',
      tooLarge
        ? 'The request head is too large'
        : timedOut
          ? 'The request took too long to arrive'
          : `Malformed request (${error.code ?? 'parse error'})`,
      {
        status: tooLarge ? 431 : timedOut ? 408 : 400,
      },
    );
    writeProblemToSocket(socket, problem);
  });

  return {
    server,
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
          resolve({ port: address.port, host: address.address, url: `http://${shownHost}:${address.port}` });
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen(port, host);
      });
    },
    shutdown(graceMs) {
      closing = true;
      // GOAWAY: streams in flight finish, no new ones start (RFC 9113 §6.8).
      h2c.closeSessions();
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.closeAllConnections();
          h2c.destroySessions();
          for (const socket of upgraded) socket.destroy();
        }, graceMs);
        force.unref();
        // Keep-alive sockets turn idle as their last request finishes: close them as they do,
        // so shutdown takes as long as the slowest request, not the keep-alive timeout.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        sweep.unref();
        server.close(() => {
          clearTimeout(force);
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}

function refuseExpectation(_req: http.IncomingMessage, res: http.ServerResponse): void {
  // RFC 9110 §10.1.1: an expectation the server cannot meet is 417.
  const error = new GatewayError('GW_BAD_REQUEST', 'Only the expectation 100-continue is supported', {
    status: 417,
    hint: 'Send the request without Expect, or with Expect: 100-continue.',
  });
  sendProblem(res, error);
}

/**
 * The HTTP/2 side of the port: Node's compatibility API with gw's request and response adapters,
 * never listening itself (connections come from the preface check). Sessions are tracked so that
 * shutdown can send GOAWAY and, after the grace, end them.
 */
function createHttp2Server(onRequest: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const server = http2.createServer({
    Http2ServerRequest: GatewayHttp2Request,
    Http2ServerResponse: GatewayHttp2Response,
    // Advertised so that an extended CONNECT (RFC 8441, WebSockets over HTTP/2) reaches gw and is
    // refused with a problem answer instead of a bare stream reset.
    settings: { enableConnectProtocol: true },
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  server.on('request', onRequest);
  server.on('checkContinue', (req: GatewayHttp2Request, res: GatewayHttp2Response) => {
    continueOnFirstRead(req, res);
    onRequest(req, res);
  });
  server.on('checkExpectation', refuseExpectation);
  server.on('connect', (req: GatewayHttp2Request, res: GatewayHttp2Response) => {
    const websocket = req.headers[':protocol'] !== undefined;
    sendProblem(
      res,
      websocket
        ? new GatewayError(
            'GW_CONNECT_NOT_SUPPORTED',
            `Extended CONNECT (${String(req.headers[':protocol'])} over HTTP/2, RFC 8441) is not supported by the gateway`,
            { hint: 'Open WebSockets over HTTP/1.1 (a GET with Upgrade: websocket).' },
          )
        : new GatewayError('GW_CONNECT_NOT_SUPPORTED', 'CONNECT tunnels are not supported by the gateway'),
    );
  });
  return {
    server,
    closeSessions: () => {
      for (const session of sessions) session.close();
    },
    destroySessions: () => {
      for (const session of sessions) session.destroy();
    },
  };
}
