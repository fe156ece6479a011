import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { header, startRawUpstream, type RawHandler } from '../helpers/raw-upstream.js';
import { useTestServers } from '../helpers/test-servers.js';
import { waitFor } from '../helpers/upstream.js';
import { parseRawAnswer, rawExchange, request } from '../helpers/http.js';

// The answer's head and framing as the client gets them: bodiless statuses, trailers both ways,
// and Location headers that name a target.

const servers = useTestServers();

async function setup(handler: RawHandler, route: Record<string, unknown> = {}, service = {}, base = '') {
  const up = await startRawUpstream(handler);
  servers.cleanup.push(() => up.close());
  const gw = await servers.gateway({
    services: { s: { targets: [up.url + base], ...service } },
    routes: [{ path: '/api', service: 's', ...route }],
  });
  return { up, gw };
}

function headOf(raw: string): string {
  return raw.split('\r\n\r\n')[0]!;
}

describe('answers without a body', () => {
  it.each([204, 304])(
    'an upstream %i that carries a body anyway reaches the client clean, and the connection is not reused',
    async (status) => {
      let count = 0;
      const { gw } = await setup((_request, socket) => {
        if (count++ === 0) socket.write(`HTTP/1.1 ${status} X\r\nContent-Length: 5\r\n\r\nhello`);
        else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond');
      });
      const first = await rawExchange(
        gw.url,
        'GET /api/a HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      );
      expect(parseRawAnswer(first).status).toBe(status);
      expect(first).not.toMatch(/content-length/i);
      expect(first).not.toContain('hello');
      // The stray bytes were not read as the next answer on a reused connection.
      const second = await request(gw.url, '/api/b');
      expect(second.status).toBe(200);
      expect(second.body).toBe('second');
      await waitFor(() => gw.seen.filter((e) => e.type === 'request-finished').length === 2);
      const finished = gw.seen.filter((e) => e.type === 'request-finished');
      expect(finished.map((e) => e.type === 'request-finished' && e.status)).toEqual([status, 200]);
    },
  );

  it('a buffered 204 (cache route) gets no Content-Length', async () => {
    const { gw } = await setup((_request, socket) => socket.write('HTTP/1.1 204 No Content\r\n\r\n'), {
      cache: { ttl: '30s' },
    });
    const raw = await rawExchange(
      gw.url,
      'GET /api/c HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
    expect(parseRawAnswer(raw).status).toBe(204);
    expect(headOf(raw)).not.toMatch(/content-length/i);
  });

  it('a CORS preflight 204 gets no Content-Length', async () => {
    const { gw } = await setup(() => undefined, { cors: { origins: ['http://app.localhost:5173'] } });
    const raw = await rawExchange(
      gw.url,
      'OPTIONS /api/p HTTP/1.1\r\nHost: localhost\r\nOrigin: http://app.localhost:5173\r\n' +
        'Access-Control-Request-Method: GET\r\nConnection: close\r\n\r\n',
    );
    expect(parseRawAnswer(raw).status).toBe(204);
    expect(headOf(raw)).not.toMatch(/content-length/i);
  });
});

describe('trailers', () => {
  it("a chunked request's trailers reach the upstream, announced", async () => {
    const { up, gw } = await setup((_request, socket) =>
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
    );
    const raw = await rawExchange(
      gw.url,
      'POST /api/t HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nTrailer: x-checksum\r\n' +
        'Connection: close\r\n\r\n5\r\nhello\r\n0\r\nx-checksum: abc\r\n\r\n',
    );
    expect(parseRawAnswer(raw).status).toBe(200);
    const received = up.requests[0]!;
    expect(received.body).toBe('hello');
    expect(received.trailers).toEqual([['x-checksum', 'abc']]);
    expect(header(received, 'trailer')).toBe('x-checksum');
  });

  const withTrailers: RawHandler = (_request, socket) =>
    socket.write(
      'HTTP/1.1 200 OK\r\nContent-Type: application/grpc\r\nTrailer: grpc-status, grpc-message\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n4\r\ndata\r\n0\r\ngrpc-status: 0\r\ngrpc-message: fine\r\n\r\n',
    );

  it("the upstream's response trailers reach the client, announced", async () => {
    const { gw } = await setup(withTrailers);
    const got = await new Promise<{ body: string; trailers: http.IncomingHttpHeaders; trailer?: string }>(
      (resolve, reject) => {
        http
          .get(`${gw.url}/api/g`, { agent: false }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (body += chunk));
            res.on('end', () =>
              resolve({ body, trailers: res.trailers, trailer: res.headers.trailer as string | undefined }),
            );
          })
          .on('error', reject);
      },
    );
    expect(got.body).toBe('data');
    expect(got.trailer).toBe('grpc-status, grpc-message');
    expect(got.trailers).toEqual({ 'grpc-status': '0', 'grpc-message': 'fine' });
  });

  it('an HTTP/1.0 client, which cannot take trailers, still gets the body', async () => {
    const { gw } = await setup(withTrailers);
    const raw = await rawExchange(gw.url, 'GET /api/g HTTP/1.0\r\nHost: localhost\r\n\r\n');
    expect(parseRawAnswer(raw).status).toBe(200);
    expect(headOf(raw)).not.toMatch(/^trailer:/im);
    expect(raw.endsWith('\r\n\r\ndata')).toBe(true);
  });
});

describe('rewriteLocation', () => {
  const redirect =
    (location: string, extra = ''): RawHandler =>
    (_request, socket) =>
      socket.write(`HTTP/1.1 302 Found\r\nLocation: ${location}\r\n${extra}Content-Length: 0\r\n\r\n`);

  it("maps a Location naming the target back to gw's origin, with the stripped prefix put back", async () => {
    let upUrl = '';
    const { up, gw } = await setup(
      (request, socket) =>
        redirect(`${upUrl}/base/users/1?tab=2`, `Content-Location: ${upUrl}/base/users/1\r\n`)(
          request,
          socket,
        ),
      { stripPrefix: '/api' },
      {},
      '/base',
    );
    upUrl = up.url;
    const res = await request(gw.url, '/api/users');
    expect(up.requests[0]!.target).toBe('/base/users');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`${gw.url}/api/users/1?tab=2`);
    expect(res.headers['content-location']).toBe(`${gw.url}/api/users/1`);
  });

  it('maps it on a buffered answer too (cache route), without a stripPrefix', async () => {
    let upUrl = '';
    const { up, gw } = await setup((request, socket) => redirect(`${upUrl}/api/next`)(request, socket), {
      cache: { ttl: '30s' },
    });
    upUrl = up.url;
    const res = await request(gw.url, '/api/here', { headers: { host: `localhost:${gw.port}` } });
    expect(res.headers.location).toBe(`http://localhost:${gw.port}/api/next`);
  });

  it.each([
    ['a relative Location', '/elsewhere'],
    ['another host', 'http://example.com/x'],
  ])('leaves %s untouched', async (_name, location) => {
    const { gw } = await setup(redirect(location));
    const res = await request(gw.url, '/api/r');
    expect(res.headers.location).toBe(location);
  });

  it('leaves it untouched with rewriteLocation: false on the service (or the route)', async () => {
    let upUrl = '';
    const { up, gw } = await setup(
      (request, socket) => redirect(`${upUrl}/api/next`)(request, socket),
      {},
      { rewriteLocation: false },
    );
    upUrl = up.url;
    const res = await request(gw.url, '/api/r');
    expect(res.headers.location).toBe(`${up.url}/api/next`);
  });
});
