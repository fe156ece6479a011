import http2 from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startEchoServer, type EchoRequest, type EchoServer } from '../protocols/grpc-echo.js';
import { grpcWebRequestBody, readGrpcWebBody } from '../protocols/grpc-web-wire.js';

/**
 * gRPC-Web through gw (issue 13, item 4): requests over HTTP/1.1 (fetch) in the three gRPC-Web
 * content types to a route whose service speaks gRPC, answered by a real grpc-js server, which
 * refuses anything that is not gRPC over HTTP/2, so every passing call proves the translation.
 */

let server: EchoServer;
let gw: TestGateway;
const page = 'http://127.0.0.1:5173';

beforeAll(async () => {
  server = await startEchoServer();
  gw = await startTestGateway({
    services: { echo: { targets: [server.url], protocol: 'grpc' } },
    routes: [
      { path: '/gwtest.echo.Echo/*', service: 'echo', cors: { origins: [page] } },
      {
        path: '/keyed/gwtest.echo.Echo/*',
        stripPrefix: '/keyed',
        service: 'echo',
        auth: 'apiKey',
        cors: { origins: [page] },
      },
    ],
  });
});

afterAll(async () => {
  await gw.close();
  await server.close();
});

interface CallOptions {
  type?: string;
  text?: boolean;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

async function grpcWebCall(method: string, request: EchoRequest, options: CallOptions = {}) {
  const text = options.text ?? false;
  const type = options.type ?? (text ? 'application/grpc-web-text' : 'application/grpc-web+proto');
  const res = await fetch(`${gw.url}${options.path ?? ''}/gwtest.echo.Echo/${method}`, {
    method: 'POST',
    headers: { 'content-type': type, 'x-grpc-web': '1', ...options.headers },
    body: options.body ?? grpcWebRequestBody(request, text),
  });
  const body = Buffer.from(await res.arrayBuffer());
  return { res, body, answer: readGrpcWebBody(body, text) };
}

describe('gRPC-Web to a gRPC service', () => {
  it.each([
    ['application/grpc-web', false],
    ['application/grpc-web+proto', false],
    ['application/grpc-web-text', true],
    ['application/grpc-web-text+proto', true],
  ])('unary in %s: the reply, then the status as the final trailer frame', async (type, text) => {
    const { res, answer } = await grpcWebCall(
      'Unary',
      { text: 'web' },
      { type, text, headers: { 'x-from-page': 'yes' } },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(
      text ? 'application/grpc-web-text+proto' : 'application/grpc-web+proto',
    );
    expect(res.headers.get('x-upstream-header')).toBe('Unary');
    expect(answer.replies.map((reply) => reply.text)).toEqual(['hello web']);
    expect(answer.trailers['grpc-status']).toBe('0');
    expect(answer.trailers['x-trailer']).toBe('from-upstream');
    expect(answer.afterTrailers).toBe(0);
    const seen = server.calls.at(-1)!;
    expect(seen.metadata['x-from-page']).toBe('yes');
    expect(seen.messages[0]?.text).toBe('web');
  });

  it.each([false, true])(
    'server streaming (text: %s): every message, then the trailer frame',
    async (text) => {
      const { answer } = await grpcWebCall('ServerStream', { text: 'tick', count: 4 }, { text });
      expect(answer.replies.map((reply) => reply.text)).toEqual(['tick #0', 'tick #1', 'tick #2', 'tick #3']);
      expect(answer.trailers['grpc-status']).toBe('0');
      expect(answer.afterTrailers).toBe(0);
    },
  );

  it("an upstream's error, trailers-only or after messages, is the trailer frame's status", async () => {
    const only = await grpcWebCall('Unary', { text: 'missing', failWith: 5 });
    expect(only.res.status).toBe(200);
    expect(only.res.headers.get('grpc-status')).toBeNull();
    expect(only.answer.replies).toEqual([]);
    expect(only.answer.trailers['grpc-status']).toBe('5');
    expect(only.answer.trailers['grpc-message']).toBe('missing');
    const late = await grpcWebCall('ServerStream', { text: 'late', count: 2, failWith: 9 }, { text: true });
    expect(late.answer.replies).toHaveLength(2);
    expect(late.answer.trailers['grpc-status']).toBe('9');
  });

  it("gw's refusals are a trailer frame too (binary and text)", async () => {
    for (const text of [false, true]) {
      const { res, answer } = await grpcWebCall('Unary', { text: 'x' }, { path: '/keyed', text });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(
        text ? 'application/grpc-web-text+proto' : 'application/grpc-web+proto',
      );
      expect(answer.trailers['grpc-status']).toBe('16');
      expect(answer.trailers['gw-error-code']).toBe('GW_UNAUTHENTICATED');
      expect(decodeURIComponent(answer.trailers['grpc-message']!)).toMatch(/^GW_UNAUTHENTICATED: /);
    }
    const keyed = await gw.state.keys.create({ name: 'page', scopes: [] });
    const passed = await grpcWebCall(
      'Unary',
      { text: 'key' },
      { path: '/keyed', headers: { 'x-api-key': keyed.key } },
    );
    expect(passed.answer.trailers['grpc-status']).toBe('0');
    expect(passed.answer.replies[0]?.text).toBe('hello key');
  });

  it('a text body that is not base64 → INVALID_ARGUMENT, and nothing reaches the server', async () => {
    const before = server.calls.length;
    const { answer } = await grpcWebCall('Unary', {}, { text: true, body: 'not base64 at all!' });
    expect(answer.trailers['grpc-status']).toBe('3');
    expect(answer.trailers['gw-error-code']).toBe('GW_BAD_REQUEST');
    expect(server.calls.slice(before).every((call) => call.messages.length === 0)).toBe(true);
  });

  it("the route's cors answers a grpc-web preflight and exposes grpc-status and grpc-message", async () => {
    const preflight = await fetch(`${gw.url}/gwtest.echo.Echo/Unary`, {
      method: 'OPTIONS',
      headers: {
        origin: page,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-grpc-web,x-user-agent,grpc-timeout',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(page);
    expect(preflight.headers.get('access-control-allow-headers')).toBe(
      'content-type, x-grpc-web, x-user-agent, grpc-timeout',
    );
    const { res, answer } = await grpcWebCall('Unary', { text: 'cors' }, { headers: { origin: page } });
    expect(res.headers.get('access-control-allow-origin')).toBe(page);
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['grpc-status', 'grpc-message', 'x-request-id']));
    expect(answer.trailers['grpc-status']).toBe('0');
  });

  it('also over HTTP/2: a text server stream from an h2c client', async () => {
    const session = http2.connect(gw.url);
    session.on('error', () => undefined);
    const stream = session.request({
      ':method': 'POST',
      ':path': '/gwtest.echo.Echo/ServerStream',
      'content-type': 'application/grpc-web-text',
      'x-grpc-web': '1',
    });
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders = {};
    stream.on('response', (received) => (head = received));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
    stream.end(grpcWebRequestBody({ text: 'h2', count: 2 }, true));
    await closed;
    session.close();
    expect(head[':status']).toBe(200);
    expect(head['content-type']).toBe('application/grpc-web-text+proto');
    const answer = readGrpcWebBody(Buffer.concat(chunks), true);
    expect(answer.replies.map((reply) => reply.text)).toEqual(['h2 #0', 'h2 #1']);
    expect(answer.trailers['grpc-status']).toBe('0');
    expect(answer.afterTrailers).toBe(0);
  });
});
