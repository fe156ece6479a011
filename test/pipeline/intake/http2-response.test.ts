import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createCleartextHttp2 } from '../../../src/dev/http2-side.js';

/**
 * gw's HTTP/2 response adapter (src/pipeline/intake/http2-response.ts) on a real cleartext HTTP/2
 * server, read by Node's HTTP/2 client: the trailers a handler adds are the ones the client gets,
 * whether they come as an object the adapter hands on as it is or as something it converts.
 */

const servers: Array<ReturnType<typeof createCleartextHttp2>> = [];
afterEach(async () => {
  while (servers.length) {
    const server = servers.pop()!;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

type Trailers = OutgoingHttpHeaders | ReadonlyArray<[string, string]>;

/**
 * Serves one answer written by `answer` on gw's HTTP/2 server, requests it with Node's client and
 * returns what `read` takes from the client's stream.
 */
async function exchange<T>(
  answer: (res: ServerResponse) => void,
  read: (stream: http2.ClientHttp2Stream, resolve: (value: T) => void) => void,
): Promise<T> {
  const server = createCleartextHttp2();
  servers.push(server);
  server.on('request', (_req, res: ServerResponse) => answer(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    return await new Promise<T>((resolve, reject) => {
      const stream = session.request({ ':path': '/' });
      read(stream, resolve);
      stream.on('error', reject);
      stream.resume();
    });
  } finally {
    session.destroy();
  }
}

/** Serves one answer whose body is followed by `trailers`, and returns what the client received. */
function trailersReceived(trailers: Trailers): Promise<http2.IncomingHttpHeaders> {
  return exchange(
    (res) => {
      res.writeHead(200, ['content-type', 'application/grpc']);
      res.write('body');
      res.addTrailers(trailers);
      res.end();
    },
    (stream, resolve) => {
      let received: http2.IncomingHttpHeaders = {};
      stream.on('trailers', (fields) => (received = fields));
      stream.on('end', () => resolve(received));
    },
  );
}

/** Serves one answer whose head is written by `write`, and returns the head the client received. */
function headReceived(write: (res: ServerResponse) => void): Promise<http2.IncomingHttpHeaders> {
  return exchange(
    (res) => {
      write(res);
      res.end();
    },
    (stream, resolve) => stream.on('response', (head) => resolve(head)),
  );
}

/** The received fields without Node's sensitive-headers marker. */
const fields = (received: http2.IncomingHttpHeaders) => Object.fromEntries(Object.entries(received));

describe('GatewayHttp2Response.addTrailers', () => {
  it.each<[string, Trailers, Record<string, string>]>([
    [
      'lower-case names with string values (an upstream gRPC status) go as they are',
      { 'grpc-status': '0', 'grpc-message': 'done', 'x-checksum': 'abc' },
      { 'grpc-status': '0', 'grpc-message': 'done', 'x-checksum': 'abc' },
    ],
    [
      'mixed-case names are lower-cased and numbers become strings',
      { 'Grpc-Status': 5, 'X-Checksum': 'abc' },
      { 'grpc-status': '5', 'x-checksum': 'abc' },
    ],
    [
      'connection-specific fields are dropped (RFC 9113 §8.2.2)',
      { 'grpc-status': '0', 'transfer-encoding': 'chunked', connection: 'close' },
      { 'grpc-status': '0' },
    ],
    [
      'connection-specific fields are dropped whatever their case',
      { 'grpc-status': '0', 'Keep-Alive': 'timeout=5' },
      { 'grpc-status': '0' },
    ],
    [
      '[name, value] pairs (an HTTP/1.1 upstream) with a repeated name join into one field',
      [
        ['X-Part', 'a'],
        ['x-part', 'b'],
        ['grpc-status', '0'],
      ],
      { 'x-part': 'a, b', 'grpc-status': '0' },
    ],
  ])('%s', async (_case, given, expected) => {
    expect(fields(await trailersReceived(given))).toEqual(expected);
  });

  it('skips fields whose value is undefined', async () => {
    const received = await trailersReceived({ 'grpc-status': '0', 'x-gone': undefined });
    expect(fields(received)).toEqual({ 'grpc-status': '0' });
  });
});

describe('GatewayHttp2Response.writeHead with a flat [name, value, …] list (a relayed answer)', () => {
  it('sends every field, a repeated name as several values, without connection-specific ones', async () => {
    const head = await headReceived((res) =>
      res.writeHead(201, [
        'Content-Type',
        'text/plain',
        'set-cookie',
        'a=1',
        'Set-Cookie',
        'b=2',
        'connection',
        'keep-alive',
        'Transfer-Encoding',
        'chunked',
        'x-empty',
        '',
        'x-empty',
        'second',
      ]),
    );
    expect(head[':status']).toBe(201);
    expect(head['content-type']).toBe('text/plain');
    expect(head['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(head['x-empty']).toBe(', second');
    expect(head.connection).toBeUndefined();
    expect(head['transfer-encoding']).toBeUndefined();
  });

  it("replaces what was set before with the list's fields and keeps the others", async () => {
    const head = await headReceived((res) => {
      res.setHeader('x-request-id', 'set-before');
      res.setHeader('x-kept', 'yes');
      res.writeHead(200, ['x-request-id', 'from-list']);
    });
    expect(head['x-request-id']).toBe('from-list');
    expect(head['x-kept']).toBe('yes');
  });
});
