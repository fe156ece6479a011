import { execFile } from 'node:child_process';
import http2 from 'node:http2';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RequestFinished } from '../../src/events/gateway-events.js';
import { request as http1Request } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';
import { waitFor } from '../helpers/upstream.js';

/**
 * HTTP/2 clients (Node's http2 client, curl --http2-prior-knowledge) on gw's one port, in front of
 * real HTTP/1.1 upstreams: every policy answers over HTTP/2 as it does over HTTP/1.1.
 */
const { upstream, gateway, cleanup } = useTestServers();

interface H2Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
  trailers: http2.IncomingHttpHeaders;
  informational: http2.IncomingHttpHeaders[];
}

function connect(url: string): http2.ClientHttp2Session {
  const session = http2.connect(url);
  session.on('error', () => {});
  cleanup.push(() => void session.destroy());
  return session;
}

function exchange(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: string,
): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    const informational: http2.IncomingHttpHeaders[] = [];
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    let text = '';
    stream.on('headers', (h) => informational.push(h));
    stream.on('response', (h) => (head = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('end', () =>
      resolve({ status: Number(head[':status']), headers: head, body: text, trailers, informational }),
    );
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

const get = (session: http2.ClientHttp2Session, path: string, extra: http2.OutgoingHttpHeaders = {}) =>
  exchange(session, { ':path': path, ...extra });

describe('HTTP/2 with prior knowledge on the HTTP/1.1 port', () => {
  it('serves HTTP/1.1 and HTTP/2 on one port; :authority reaches the upstream as Host, pseudo-headers never', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const session = connect(gw.url);
    const answer = await get(session, '/api/items?x=1', { 'x-client': 'h2' });
    expect(answer.status).toBe(200);
    const one = await http1Request(gw.url, '/api/items');
    expect(one.status).toBe(200);
    const seen = up.requests[0]!;
    expect(seen.url).toBe('/api/items?x=1');
    expect(seen.headers.host).toBe(new URL(gw.url).host);
    expect(seen.headers['x-forwarded-host']).toBe(new URL(gw.url).host);
    expect(seen.headers['x-client']).toBe('h2');
    expect(Object.keys(seen.headers).filter((name) => name.startsWith(':'))).toEqual([]);
    expect(answer.headers['x-request-id']).toBe(seen.headers['x-request-id']);
  });

  it('streams a POST body of unknown length up (chunked on the HTTP/1.1 hop) and a streamed answer down', async () => {
    const up = await upstream((req, res, body) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(`got ${body.length} bytes;`);
      setTimeout(() => res.end('done'), 20);
    });
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const session = connect(gw.url);
    const stream = session.request({ ':method': 'POST', ':path': '/api/upload' }, { endStream: false });
    const upload = new PassThrough();
    upload.pipe(stream);
    upload.write('a'.repeat(10_000));
    setTimeout(() => upload.end('b'.repeat(5_000)), 20);
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    await new Promise((resolve) => stream.on('end', resolve));
    expect(text).toBe('got 15000 bytes;done');
    expect(up.requests[0]!.headers['transfer-encoding']).toBe('chunked');
    expect(up.requests[0]!.method).toBe('POST');
  });

  it('sends a declared Content-Length as is, and a bodyless GET without framing', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const session = connect(gw.url);
    await exchange(session, { ':method': 'PUT', ':path': '/api/a', 'content-length': '5' }, 'hello');
    await get(session, '/api/b');
    expect(up.requests[0]!.headers['content-length']).toBe('5');
    expect(up.requests[0]!.body).toBe('hello');
    expect(up.requests[1]!.headers['transfer-encoding']).toBeUndefined();
    expect(up.requests[1]!.headers['content-length']).toBeUndefined();
  });

  it('answers refusals as problem+json over HTTP/2: 401 without a key, 429 with RateLimit headers, 404', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [
        { path: '/private', service: 's', auth: 'apiKey' },
        { path: '/limited', service: 's', rateLimit: { limit: 1, window: '1m' } },
      ],
    });
    const session = connect(gw.url);
    const denied = await get(session, '/private/x');
    expect(denied.status).toBe(401);
    expect(denied.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(denied.body).code).toBe('GW_UNAUTHENTICATED');
    expect((await get(session, '/limited')).status).toBe(200);
    const limited = await get(session, '/limited');
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.body).code).toBe('GW_RATE_LIMITED');
    expect(limited.headers['retry-after']).toBeDefined();
    expect(Object.keys(limited.headers).some((name) => name.startsWith('ratelimit'))).toBe(true);
    const missing = await get(session, '/nowhere');
    expect(JSON.parse(missing.body).code).toBe('GW_ROUTE_NOT_FOUND');
    expect(up.requests).toHaveLength(1);
  });

  it('caches, transforms, mocks and answers CORS preflights over HTTP/2', async () => {
    let hits = 0;
    const up = await upstream((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ hits }));
    });
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [
        { path: '/cached', service: 's', cache: { ttl: '30s' } },
        {
          path: '/shaped',
          service: 's',
          transform: { response: { headers: { set: { 'x-shaped': 'yes' } } } },
        },
        { path: '/mocked', mock: { status: 200, json: { mocked: true } } },
        { path: '/cors', service: 's', cors: { origins: ['http://app.localhost:3000'] } },
      ],
    });
    const session = connect(gw.url);
    const first = await get(session, '/cached');
    const second = await get(session, '/cached');
    expect(JSON.parse(second.body)).toEqual(JSON.parse(first.body));
    expect(hits).toBe(1);
    expect((await get(session, '/shaped')).headers['x-shaped']).toBe('yes');
    expect(JSON.parse((await get(session, '/mocked')).body)).toEqual({ mocked: true });
    const preflight = await exchange(session, {
      ':method': 'OPTIONS',
      ':path': '/cors',
      origin: 'http://app.localhost:3000',
      'access-control-request-method': 'POST',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://app.localhost:3000');
  });

  it('relays a 103 Early Hints and the upstream trailers to the HTTP/2 client', async () => {
    const up = await upstream((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
      res.write('body');
      res.addTrailers({ 'x-checksum': 'abc123' });
      res.end();
    });
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const answer = await get(connect(gw.url), '/api/page');
    expect(answer.informational.map((h) => h[':status'])).toEqual([103]);
    expect(answer.informational[0]!.link).toBe('</style.css>; rel=preload; as=style');
    expect(answer.body).toBe('body');
    expect(answer.trailers['x-checksum']).toBe('abc123');
  });

  it('answers HEAD, 204 and 304 without a body', async () => {
    const up = await upstream((req, res) => {
      if (req.url === '/api/empty') return void res.writeHead(204).end();
      if (req.url === '/api/same') return void res.writeHead(304, { etag: '"v1"' }).end();
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' });
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    });
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const session = connect(gw.url);
    const head = await exchange(session, { ':method': 'HEAD', ':path': '/api/file' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('5');
    expect(head.body).toBe('');
    const empty = await get(session, '/api/empty');
    expect([empty.status, empty.body]).toEqual([204, '']);
    const same = await get(session, '/api/same', { 'if-none-match': '"v1"' });
    expect([same.status, same.body, same.headers.etag]).toEqual([304, '', '"v1"']);
  });

  it('resets the upstream request when the HTTP/2 client cancels its stream', async () => {
    let upstreamClosed = false;
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('start');
      res.on('close', () => (upstreamClosed = true));
    });
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const session = connect(gw.url);
    const stream = session.request({ ':path': '/api/forever' });
    await new Promise((resolve) => stream.once('data', resolve));
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await waitFor(() => upstreamClosed);
    await waitFor(() => gw.seen.some((e) => e.type === 'request-finished'));
    // The session stays usable for other streams.
    expect((await get(session, '/nowhere')).status).toBe(404);
  });

  it('carries many concurrent streams on one connection, each to its own upstream request', async () => {
    const up = await upstream((req, res) => {
      setTimeout(() => res.end(req.url), 10);
    });
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const session = connect(gw.url);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => get(session, `/api/${i}`)));
    expect(answers.map((a) => a.body)).toEqual(Array.from({ length: 50 }, (_, i) => `/api/${i}`));
    expect(up.requests).toHaveLength(50);
  });

  it('judges :authority with allowedHosts, and refuses a Host that names another authority', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const session = connect(gw.url);
    const rebound = await get(session, '/api', { ':authority': 'evil.example.com' });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).code).toMatch(/^GW_HOST/);
    const twoHosts = await get(session, '/api', {
      ':authority': new URL(gw.url).host,
      host: 'other.localhost',
    });
    expect(twoHosts.status).toBe(400);
    expect(JSON.parse(twoHosts.body).code).toBe('GW_BAD_REQUEST');
    expect(up.requests).toHaveLength(0);
  });

  it('reports HTTP/2 requests in request-finished with httpVersion 2.0, and in the metrics', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    await get(connect(gw.url), '/api/x');
    await http1Request(gw.url, '/api/y');
    await waitFor(() => gw.seen.filter((e) => e.type === 'request-finished').length === 2);
    const finished = gw.seen.filter((e): e is RequestFinished => e.type === 'request-finished');
    expect(finished.map((e) => [e.path, e.httpVersion, e.status, e.routeId !== undefined])).toEqual(
      expect.arrayContaining([
        ['/api/x', '2.0', 200, true],
        ['/api/y', '1.1', 200, true],
      ]),
    );
    const metrics = await get(connect(gw.url), '/__gw/metrics');
    expect(metrics.status).toBe(200);
  });

  it('refuses WebSockets over HTTP/2 (extended CONNECT, RFC 8441) with a problem answer', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/ws', service: 's', websocket: true }],
    });
    const session = connect(gw.url);
    await new Promise((resolve) => session.once('remoteSettings', resolve));
    const answer = await exchange(session, {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':path': '/ws',
      ':scheme': 'http',
      'sec-websocket-version': '13',
    });
    expect(answer.status).toBe(501);
    expect(JSON.parse(answer.body).code).toBe('GW_CONNECT_NOT_SUPPORTED');
    expect(up.requests).toHaveLength(0);
  });

  it('is reached by curl --http2-prior-knowledge', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const { stdout } = await promisify(execFile)('curl', [
      '-s',
      '--http2-prior-knowledge',
      '-d',
      'posted',
      '-w',
      '\n%{http_version} %{http_code}',
      `${gw.url}/api/curl`,
    ]);
    const lines = stdout.split('\n');
    expect(lines.at(-1)).toBe('2 200');
    expect(JSON.parse(lines[0]!).body).toBe('posted');
  });
});
