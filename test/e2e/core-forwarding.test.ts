import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startUpstream } from '../helpers/upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import { rawExchange, request } from '../helpers/http.js';

// What the upstream request looks like, now that gw sends it on Node's own client: the parts the
// proxy library used to take care of (target paths, Host, bodies by method) stay pinned here.

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setup(target: (upUrl: string) => string) {
  const up = await startUpstream();
  cleanup.push(() => up.close());
  const gw = await startTestGateway({
    services: { s: { targets: [target(up.url)] } },
    routes: [{ path: '/api', service: 's' }],
  });
  cleanup.push(() => gw.close());
  return { up, gw };
}

describe('forwarding to a target', () => {
  it("puts the target URL's own path in front of the request path, query kept", async () => {
    const { up, gw } = await setup((url) => `${url}/base/v2/`);
    const res = await request(gw.url, '/api/items/7?sort=desc&x=%20y');
    expect(res.status).toBe(200);
    expect(up.requests[0]!.url).toBe('/base/v2/api/items/7?sort=desc&x=%20y');
  });

  it("sends the client's Host as it came, and one of its own when an HTTP/1.0 client sent none", async () => {
    const { up, gw } = await setup((url) => url);
    await request(gw.url, '/api/a', { headers: { host: 'shop.localhost:3000' } });
    expect(up.requests[0]!.headers.host).toBe('shop.localhost:3000');

    const answer = await rawExchange(gw.url, 'GET /api/b HTTP/1.0\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(up.requests[1]!.headers.host).toBe(new URL(up.url).host);
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])(
    'streams a %s body with its length, and a chunked one chunked',
    async (method) => {
      const { up, gw } = await setup((url) => url);
      // The length is set here: Node's client would send a DELETE or OPTIONS body unframed.
      const sized = await request(gw.url, '/api/sized', {
        method,
        body: '{"n":1}',
        headers: { 'content-length': '7' },
      });
      expect(sized.status).toBe(200);
      const chunked = await rawExchange(
        gw.url,
        `${method} /api/chunked HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n` +
          '3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n',
      );
      expect(chunked).toMatch(/^HTTP\/1\.1 200 /);
      expect(up.requests.map((r) => [r.method, r.url, r.body])).toEqual([
        [method, '/api/sized', '{"n":1}'],
        [method, '/api/chunked', 'abcdefg'],
      ]);
      expect(up.requests[0]!.headers['content-length']).toBe('7');
      expect(up.requests[1]!.headers['transfer-encoding']).toBe('chunked');
      // One request each: a body sent unframed would have reached the upstream as a second one.
      expect(up.requests).toHaveLength(2);
    },
  );

  it('answers 100 Continue itself and sends the body on without Expect', async () => {
    const { up, gw } = await setup((url) => url);
    const answer = await rawExchange(
      gw.url,
      'POST /api/upload HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nExpect: 100-continue\r\n' +
        'Content-Length: 5\r\n\r\nhello',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    expect(up.requests[0]!.body).toBe('hello');
    expect(up.requests[0]!.headers.expect).toBeUndefined();
  });

  it("passes the upstream's head on as sent: repeated Set-Cookie kept, its request id replaced by gw's", async () => {
    const up = await startUpstream((_req, res) => {
      res.setHeader('Set-Cookie', ['a=1; Path=/', 'b=2; Path=/']);
      res.setHeader('X-Request-Id', 'from-upstream');
      res.setHeader('Cache-Control', 'no-store');
      res.end('ok');
    });
    cleanup.push(() => up.close());
    const gw = await startTestGateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    cleanup.push(() => gw.close());
    const res = await request(gw.url, '/api/cookies', { headers: { 'x-request-id': 'client-id-1' } });
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(res.headers['x-request-id']).toBe('client-id-1');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toBe('ok');
  });

  it('a client that reads slowly gets a large answer whole (the upstream waits for it)', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'g');
    const chunks = 128; // 8 MB, far more than the socket buffers hold
    const up = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let sent = 0;
      const more = () => {
        while (sent < chunks) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });
    cleanup.push(() => up.close());
    const gw = await startTestGateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    cleanup.push(() => gw.close());
    const { port } = new URL(gw.url);
    const received = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/api/big' }, (res) => {
          let size = 0;
          res.on('data', (data: Buffer) => {
            size += data.length;
            // Stop reading now and then, long enough for every buffer on the way to fill up.
            if (size % (1024 * 1024) < data.length) {
              res.pause();
              setTimeout(() => res.resume(), 30);
            }
          });
          res.on('end', () => resolve(size));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    expect(received).toBe(chunk.length * chunks);
  });
});
