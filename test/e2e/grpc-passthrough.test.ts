import http2 from 'node:http2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  createEchoClient,
  startEchoServer,
  type EchoClient,
  type EchoReply,
  type EchoServer,
} from '../protocols/grpc-echo.js';
import { grpcFrame, rawGrpcCall, startRawGrpcServer } from '../protocols/raw-grpc.js';

/**
 * gRPC through gw (issue 13, item 2): a real @grpc/grpc-js client on an insecure channel (h2c
 * with prior knowledge) to gw, a real grpc-js server behind a route whose service has
 * `protocol: 'grpc'`. What the server received and what the client got, for all four call kinds.
 */

const { NGHTTP2_CANCEL } = http2.constants;

let server: EchoServer;
let gw: TestGateway;
let client: EchoClient;
const cleanup: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  server = await startEchoServer();
  gw = await startTestGateway({
    services: { echo: { targets: [server.url], protocol: 'grpc', idleTimeout: 1000 } },
    routes: [
      { path: '/gwtest.echo.Echo/*', service: 'echo' },
      // The same service with a short timeout: it caps the calls' deadlines.
      { path: '/gwtest.echo.Echo/Unary', host: 'capped.localhost', service: 'echo', timeout: 300 },
    ],
  });
  client = createEchoClient(`127.0.0.1:${gw.port}`);
});

afterAll(async () => {
  client.close();
  await gw.close();
  await server.close();
});

afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const lastCall = () => server.calls.at(-1)!;

describe('gRPC pass-through: the four call kinds', () => {
  it('unary: the reply, metadata both ways, the status and the trailing metadata', async () => {
    const result = await client.unary(
      { text: 'ada' },
      { metadata: { 'x-client-meta': 'from-client', 'x-blob-bin': Buffer.from([0, 1, 2]) } },
    );
    expect(result.code).toBe(0);
    expect(result.value?.text).toBe('hello ada');
    expect(result.headers['x-upstream-header']).toBe('Unary');
    expect(result.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.trailers['x-trailer']).toBe('from-upstream');
    const seen = lastCall();
    expect(seen.metadata['x-client-meta']).toBe('from-client');
    expect(seen.metadata['x-blob-bin']).toBe(Buffer.from([0, 1, 2]).toString('base64'));
    expect(seen.metadata['x-request-id']).toBe(result.headers['x-request-id']);
    expect(seen.metadata['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('server streaming: every message in order, then the status and trailers', async () => {
    const result = await client.serverStream({ text: 'tick', count: 5 });
    expect(result.code).toBe(0);
    expect(result.value?.map((reply) => reply.text)).toEqual([
      'tick #0',
      'tick #1',
      'tick #2',
      'tick #3',
      'tick #4',
    ]);
    expect(result.headers['x-upstream-header']).toBe('ServerStream');
    expect(result.trailers['x-trailer']).toBe('from-upstream');
  });

  it('client streaming: every message reaches the server before its one reply', async () => {
    const result = await client.clientStream([{ text: 'a' }, { text: 'b' }, { text: 'c' }]);
    expect(result.code).toBe(0);
    expect(result.value).toMatchObject({ text: 'a,b,c', index: 3 });
    expect(lastCall().messages.map((message) => message.text)).toEqual(['a', 'b', 'c']);
    expect(result.trailers['x-trailer']).toBe('from-upstream');
  });

  it('bidi: each message is answered before the next is sent (nothing waits for the end)', async () => {
    const call = client.bidi({ metadata: { 'x-client-meta': 'bidi' } });
    const replies: EchoReply[] = [];
    let answered: (() => void) | undefined;
    call.on('data', (reply: EchoReply) => {
      replies.push(reply);
      answered?.();
    });
    const status = new Promise<{ code: number; trailer: string }>((resolve) =>
      call.on('status', (s: { code: number; metadata: { get(key: string): unknown[] } }) =>
        resolve({ code: s.code, trailer: String(s.metadata.get('x-trailer')[0]) }),
      ),
    );
    for (const word of ['one', 'two', 'three']) {
      const reply = new Promise<void>((resolve) => (answered = resolve));
      call.write({ text: word });
      await reply;
    }
    call.end();
    expect(replies.map((reply) => reply.text)).toEqual(['echo one', 'echo two', 'echo three']);
    expect(await status).toEqual({ code: 0, trailer: 'from-upstream' });
    expect(lastCall().metadata['x-client-meta']).toBe('bidi');
  });
});

describe('gRPC pass-through: statuses', () => {
  it("relays an upstream's error status, its message and trailing metadata after messages", async () => {
    const result = await client.serverStream({ text: 'gone away', count: 2, failWith: 5 });
    expect(result.value).toHaveLength(2);
    expect(result.code).toBe(5);
    expect(result.details).toBe('gone away');
    expect(result.trailers['x-failure-detail']).toBe('asked-for');
  });

  it("relays an upstream's trailers-only answer as trailers-only (status, message, metadata)", async () => {
    const result = await client.unary({ text: 'no such thing', failWith: 5 });
    expect(result.code).toBe(5);
    expect(result.details).toBe('no such thing');
    expect(result.trailers['x-failure-detail']).toBe('asked-for');
  });

  it('keeps the trailers-only shape on the wire: one HEADERS frame that ends the stream', async () => {
    const raw = await startRawGrpcServer((stream) =>
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '7',
          'grpc-message': 'not yours',
        },
        { endStream: true },
      ),
    );
    cleanup.push(() => raw.close());
    const rawGw = await startTestGateway({
      services: { raw: { targets: [raw.url], protocol: 'grpc' } },
      routes: [{ path: '/', service: 'raw' }],
    });
    cleanup.push(() => rawGw.close());
    const answer = await rawGrpcCall(rawGw.url, { ':path': '/pkg.Svc/Method' });
    expect(answer.headersEnded).toBe(true);
    expect(answer.headers['grpc-status']).toBe('7');
    expect(answer.headers['grpc-message']).toBe('not yours');
    expect(answer.body.length).toBe(0);
  });
});

describe('gRPC pass-through: deadlines and cancellation', () => {
  it('sends te: trailers and a grpc-timeout no longer than the one gw received', async () => {
    const raw = await startRawGrpcServer((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(grpcFrame(Buffer.alloc(0)));
    });
    cleanup.push(() => raw.close());
    const rawGw = await startTestGateway({
      services: { raw: { targets: [raw.url], protocol: 'grpc' } },
      routes: [{ path: '/', service: 'raw' }],
    });
    cleanup.push(() => rawGw.close());
    // A client over HTTP/2 that sends no te: gw still owes the upstream its te: trailers.
    const answer = await rawGrpcCall(rawGw.url, {
      ':path': '/pkg.Svc/Method',
      te: undefined,
      'grpc-timeout': '20S',
    });
    expect(answer.trailers?.['grpc-status']).toBe('0');
    const seen = raw.streams[0]!.headers;
    expect(seen.te).toBe('trailers');
    expect(seen['content-type']).toBe('application/grpc');
    const forwarded = String(seen['grpc-timeout']);
    expect(forwarded).toMatch(/^\d{1,8}m$/);
    expect(Number(forwarded.slice(0, -1))).toBeLessThanOrEqual(20_000);
  });

  it("honours the client's deadline: DEADLINE_EXCEEDED, and the server's call ends", async () => {
    const result = await client.unary({ text: 'slow', delayMs: 10_000 }, { deadlineMs: 300 });
    expect(result.code).toBe(4);
    const seen = lastCall();
    await seen.ended;
    expect(seen.cancelled).toBe(true);
  });

  it("caps a call's deadline by the route timeout: the server gets the shorter one", async () => {
    // The capped route answers the Host capped.localhost: a channel that sends it as :authority.
    const capped = createEchoClient(`127.0.0.1:${gw.port}`, { authority: 'capped.localhost' });
    cleanup.push(() => capped.close());
    const result = await capped.unary({ text: 'slow', delayMs: 10_000 }, { deadlineMs: 60_000 });
    expect(result.code).toBe(4);
    const seen = lastCall();
    await seen.ended;
    expect(seen.cancelled).toBe(true);
    // The deadline the server computed from the grpc-timeout gw sent is the route's, not 60 s.
    expect(seen.deadline).toBeDefined();
    expect(seen.deadline! - Date.now()).toBeLessThan(30_000);
  });

  it('ends a call whose upstream ignores the deadline: DEADLINE_EXCEEDED trailers, upstream stream reset', async () => {
    const raw = await startRawGrpcServer((stream) => {
      // Answers the head and one message, then never finishes.
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.write(grpcFrame(Buffer.alloc(0)));
    });
    cleanup.push(() => raw.close());
    const rawGw = await startTestGateway({
      services: { raw: { targets: [raw.url], protocol: 'grpc', timeout: 400 } },
      routes: [{ path: '/', service: 'raw' }],
    });
    cleanup.push(() => rawGw.close());
    const answer = await rawGrpcCall(rawGw.url, { ':path': '/pkg.Svc/Method', 'grpc-timeout': '60S' });
    expect(answer.headers[':status']).toBe(200);
    expect(answer.body).toEqual(grpcFrame(Buffer.alloc(0)));
    expect(answer.trailers?.['grpc-status']).toBe('4');
    expect(answer.trailers?.['gw-error-code']).toBe('GW_UPSTREAM_TIMEOUT');
    await raw.streams[0]!.closed;
    expect(raw.streams[0]!.closedWith).toBe(NGHTTP2_CANCEL);
  });

  it('a cancelled call resets the upstream stream: the server sees the cancellation', async () => {
    const call = client.bidi();
    call.on('error', () => undefined);
    const first = new Promise<void>((resolve) => call.once('data', () => resolve()));
    call.write({ text: 'hello' });
    await first;
    const seen = lastCall();
    call.cancel();
    await seen.ended;
    expect(seen.cancelled).toBe(true);
  });

  it('a cancelled server stream stops the server writing', async () => {
    const call = client.openServerStream({ text: 'x', count: 100, delayMs: 20 });
    call.on('error', () => undefined);
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    const seen = lastCall();
    call.cancel();
    await seen.ended;
    expect(seen.cancelled).toBe(true);
  });

  it('idleTimeout does not cut a call that keeps talking in one direction only', async () => {
    // idleTimeout is 1 s; the client streams for longer while the server (head sent) says nothing.
    const { call, result } = client.openClientStream();
    for (let index = 0; index < 6; index++) {
      call.write({ text: String(index) });
      await new Promise((resolve) => setTimeout(resolve, 350));
    }
    call.end();
    const answer = await result;
    expect(answer.code).toBe(0);
    expect(answer.value?.text).toBe('0,1,2,3,4,5');
  });
});
