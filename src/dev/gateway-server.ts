import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { GatewayError } from '../errors.js';
import type { BuiltGateway } from '../pipeline/build-gateway.js';
import { sendProblem, writeProblemToSocket } from '../pipeline/problem.js';
import { continueOnFirstRead } from '../pipeline/intake/expect-continue.js';
import type { ServerOptions } from '../config/schema.js';

/**
 * The HTTP server around a swappable gateway: `use(next)` swaps it for new requests while
 * requests in flight finish on the gateway they started with (captured per request).
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
  server.on('checkExpectation', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    // RFC 9110 §10.1.1: an expectation the server cannot meet is 417.
    const error = new GatewayError('GW_BAD_REQUEST', 'Only the expectation 100-continue is supported', {
      status: 417,
      hint: 'Send the request without Expect, or with Expect: 100-continue.',
    });
    sendProblem(res, error);
  });
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
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.closeAllConnections();
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
