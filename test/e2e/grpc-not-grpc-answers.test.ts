import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { request } from '../helpers/http.js';
import { createEchoClient, startEchoServer, type EchoServer } from '../protocols/grpc-echo.js';
import { grpcWebRequestBody, readGrpcWebBody } from '../protocols/grpc-web-wire.js';
import { libraryProto } from '../protocols/grpc/transcode/library-server.js';
import { startRawGrpcServer, type RawGrpcServer } from '../protocols/raw-grpc.js';

/**
 * A gRPC or gRPC-Web call whose upstream answers something that is not gRPC (a web server's 404
 * page where a gRPC server was meant, a proxy's 502): the client gets a proper gRPC(-Web) answer
 * whose grpc-status is mapped from the upstream's HTTP status as gRPC clients map one
 * (https://github.com/grpc/grpc/blob/master/doc/http-grpc-status-mapping.md), with gw's code,
 * never the page itself. Calls to the real grpc-js server on the same gateway go through untouched.
 */

let echo: EchoServer;
let web: RawGrpcServer;
let http1: http.Server;
let gw: TestGateway;

/** What the misrouted HTTP/2 server answers, by path: `/<status>/<content-type words>`. */
function pageFor(path: string): { status: number; type: string } {
  const [, status, type] = /^\/(\d{3})\/([^/]+)/.exec(path) ?? [];
  return { status: Number(status ?? 404), type: (type ?? 'text-html').replace('-', '/') };
}

beforeAll(async () => {
  echo = await startEchoServer();
  web = await startRawGrpcServer((stream, seen) => {
    const { status, type } = pageFor(String(seen.headers[':path']));
    stream.respond({ ':status': status, 'content-type': type });
    stream.end('<html><body>Not the gRPC server you are looking for</body></html>');
  });
  http1 = http.createServer((_req, res) =>
    res.writeHead(404, { 'content-type': 'text/html' }).end('<p>404</p>'),
  );
  await new Promise<void>((resolve) => http1.listen(0, '127.0.0.1', resolve));
  gw = await startTestGateway({
    services: {
      echo: { targets: [echo.url], protocol: 'grpc' },
      misrouted: { targets: [web.url], protocol: 'grpc' },
      library: { targets: [web.url], protocol: 'grpc', proto: libraryProto },
      http1only: { targets: [`http://127.0.0.1:${(http1.address() as AddressInfo).port}`], protocol: 'grpc' },
    },
    routes: [
      { path: '/gwtest.echo.Echo/*', service: 'echo' },
      { path: '/page/:status/:type/*', service: 'misrouted', stripPrefix: '/page' },
      { path: '/h1/*', service: 'http1only', stripPrefix: '/h1' },
      { path: '/gwtest.library.Library/*', service: 'library', transcode: true },
    ],
  });
});

afterAll(async () => {
  await gw.close();
  await echo.close();
  await web.close();
  await new Promise((resolve) => http1.close(resolve));
});

async function grpcWebCall(prefix: string, text = false) {
  const res = await fetch(`${gw.url}${prefix}/gwtest.echo.Echo/Unary`, {
    method: 'POST',
    headers: {
      'content-type': text ? 'application/grpc-web-text' : 'application/grpc-web+proto',
      'x-grpc-web': '1',
    },
    body: grpcWebRequestBody({ text: 'page' }, text),
  });
  const body = Buffer.from(await res.arrayBuffer());
  return { res, body, answer: readGrpcWebBody(body, text) };
}

describe('gRPC-Web to an upstream that answers something else', () => {
  it.each([
    ['/page/404/text-html', false, 12, 404],
    ['/page/502/text-plain', true, 14, 502],
    ['/page/429/text-html', false, 14, 429],
    ['/page/400/text-html', true, 13, 400],
    ['/page/401/application-json', false, 16, 401],
    ['/page/200/text-html', false, 2, 200],
  ])('%s (text: %s) → a gRPC-Web answer with grpc-status %i', async (prefix, text, status, upstream) => {
    const { res, body, answer } = await grpcWebCall(prefix, text);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(
      text ? 'application/grpc-web-text+proto' : 'application/grpc-web+proto',
    );
    expect(answer.replies).toEqual([]);
    expect(answer.trailers['grpc-status']).toBe(String(status));
    expect(answer.trailers['gw-error-code']).toBe('GW_UPSTREAM_NOT_GRPC');
    expect(decodeURIComponent(answer.trailers['grpc-message']!)).toContain(`HTTP ${upstream}`);
    expect(body.toString('latin1')).not.toContain('<html>');
  });

  it('an upstream that speaks only HTTP/1.1 → a gRPC-Web answer too (INTERNAL)', async () => {
    const { res, answer } = await grpcWebCall('/h1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/grpc-web+proto');
    expect(answer.trailers['grpc-status']).toBe('13');
    expect(answer.trailers['gw-error-code']).toBe('GW_UPSTREAM_BAD_RESPONSE');
  });

  it('the real gRPC server on the same gateway still answers gRPC-Web', async () => {
    const { answer } = await grpcWebCall('');
    expect(answer.replies.map((reply) => reply.text)).toEqual(['hello page']);
    expect(answer.trailers['grpc-status']).toBe('0');
  });
});

describe('gRPC (grpc-js client) to an upstream that answers something else', () => {
  it.each([
    ['/page/404/text-html', 12],
    ['/page/503/text-html', 14],
  ])("%s → grpc-status %i with gw's code in the metadata", async (prefix, status) => {
    const client = createEchoClient(`127.0.0.1:${gw.port}`);
    try {
      // The method path carries the route's prefix (which the misrouted server reads).
      const result = await new Promise<{ code: number; details: string; metadata: Record<string, unknown> }>(
        (resolve) => {
          client.client.makeUnaryRequest(
            `${prefix}/gwtest.echo.Echo/Unary`,
            (value: Buffer) => value,
            (value: Buffer) => value,
            Buffer.alloc(0),
            (error) =>
              resolve({ code: error!.code, details: error!.details, metadata: error!.metadata.getMap() }),
          );
        },
      );
      expect(result.code).toBe(status);
      expect(result.metadata['gw-error-code']).toBe('GW_UPSTREAM_NOT_GRPC');
      expect(result.details).toMatch(/^GW_UPSTREAM_NOT_GRPC: /);
    } finally {
      client.close();
    }
  });

  it('a plain HTTP request on the same route still gets the page as it came', async () => {
    const res = await request(gw.url, '/page/404/text-html/anything');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('text/html');
    expect(res.body).toContain('Not the gRPC server');
  });
});

describe('a transcoded call to an upstream that answers something else', () => {
  it("is a 502 problem that names the upstream's status", async () => {
    const res = await request(gw.url, '/gwtest.library.Library/Ping', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"text":"x"}',
    });
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json).toMatchObject({ code: 'GW_UPSTREAM_NOT_GRPC', upstreamStatus: 404 });
  });
});
