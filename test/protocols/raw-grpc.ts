import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';

/**
 * gRPC at the wire level, for what a grpc-js peer hides: a node:http2 server that records the
 * request head gw sent (te, grpc-timeout) and answers as a test tells it (even ignoring
 * deadlines), and a client that sends exact headers and reads the exact answer.
 */

/** One length-prefixed gRPC message (PROTOCOL-HTTP2.md, "Length-Prefixed-Message"). */
export function grpcFrame(payload: Buffer, flags = 0): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

export interface RawStream {
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  /** The RST_STREAM code the stream closed with (8 = CANCEL), once closed. */
  closedWith?: number;
  closed: Promise<void>;
}

export type RawHandler = (stream: http2.ServerHttp2Stream, seen: RawStream) => void;

export interface RawGrpcServer {
  url: string;
  streams: RawStream[];
  close(): Promise<void>;
}

export async function startRawGrpcServer(handler: RawHandler): Promise<RawGrpcServer> {
  const server = http2.createServer();
  const sockets = new Set<Socket>();
  const streams: RawStream[] = [];
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('stream', (stream, headers) => {
    let closed!: () => void;
    const seen: RawStream = { headers, body: Buffer.alloc(0), closed: new Promise((r) => (closed = r)) };
    streams.push(seen);
    stream.on('error', () => undefined);
    stream.on('data', (chunk: Buffer) => (seen.body = Buffer.concat([seen.body, chunk])));
    stream.once('close', () => {
      seen.closedWith = stream.rstCode;
      closed();
    });
    handler(stream, seen);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    streams,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface RawAnswer {
  headers: http2.IncomingHttpHeaders;
  /** Whether the answer's HEADERS frame ended the stream (a trailers-only answer). */
  headersEnded: boolean;
  body: Buffer;
  trailers?: http2.IncomingHttpHeaders;
  rstCode?: number;
}

/** Sends one call with exactly these headers and body; resolves when the stream closes. */
export function rawGrpcCall(
  origin: string,
  headers: http2.OutgoingHttpHeaders,
  body: Buffer = grpcFrame(Buffer.alloc(0)),
): Promise<RawAnswer> {
  const session = http2.connect(origin);
  session.on('error', () => undefined);
  return new Promise((resolve) => {
    const stream = session.request({
      ':method': 'POST',
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    const answer: RawAnswer = { headers: {}, headersEnded: false, body: Buffer.alloc(0) };
    stream.on('error', () => undefined);
    stream.once('response', (received, flags) => {
      answer.headers = received;
      answer.headersEnded = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    });
    stream.on('data', (chunk: Buffer) => (answer.body = Buffer.concat([answer.body, chunk])));
    stream.once('trailers', (trailers) => (answer.trailers = trailers));
    stream.once('close', () => {
      answer.rstCode = stream.rstCode;
      session.close();
      resolve(answer);
    });
    stream.end(body);
  });
}
