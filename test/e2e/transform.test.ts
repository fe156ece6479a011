import http from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { type TestUpstream, type UpstreamHandler } from '../helpers/upstream.js';
import { request } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';

const { upstream, gateway } = useTestServers();

const route = (
  up: TestUpstream,
  transform: unknown,
  extra: Record<string, unknown> = {},
): GatewayConfigInput => ({
  services: { users: { targets: [up.url] } },
  routes: [
    { path: '/api', service: 'users', transform: transform as never, ...extra },
    { path: '/plain', service: 'users' },
  ],
});

const json =
  (status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): UpstreamHandler =>
  (_req, res) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };

/** A chunked request body, written in pieces without a Content-Length. */
function sendChunked(
  base: string,
  path: string,
  pieces: string[],
  headers: http.OutgoingHttpHeaders = {},
  method = 'POST',
): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path, method, headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    for (const piece of pieces) req.write(piece);
    req.end();
  });
}

describe('transform: header rules', () => {
  it('sets, adds, removes and renames request and response headers', async () => {
    const up = await upstream((req, res) => {
      res.writeHead(200, {
        'content-type': 'text/plain',
        server: 'upstream/1.0',
        'x-internal': 'secret',
        'x-old': 'moved',
        'x-list': 'a',
      });
      res.end(JSON.stringify(req.headers));
    });
    const gw = await gateway(
      route(up, {
        request: {
          headers: {
            set: { 'x-env': 'dev' },
            add: { 'x-tag': 'gw' },
            remove: ['cookie'],
            rename: { 'x-client': 'x-from-client' },
          },
        },
        response: {
          headers: {
            remove: ['server', 'x-internal'],
            rename: { 'x-old': 'x-new' },
            add: { 'x-list': 'b' },
            set: { 'x-via': 'gw' },
          },
        },
      }),
    );
    const res = await request(gw.url, '/api/profile', {
      headers: { cookie: 'a=1', 'x-client': 'web', 'x-tag': 'client', 'x-env': 'prod' },
    });
    const seen = up.requests[0]!.headers;
    expect(seen['x-env']).toBe('dev');
    expect(seen['x-tag']).toBe('client, gw');
    expect(seen.cookie).toBeUndefined();
    expect(seen['x-client']).toBeUndefined();
    expect(seen['x-from-client']).toBe('web');
    expect(res.headers.server).toBeUndefined();
    expect(res.headers['x-internal']).toBeUndefined();
    expect(res.headers['x-old']).toBeUndefined();
    expect(res.headers['x-new']).toBe('moved');
    expect(res.headers['x-list']).toBe('a, b');
    expect(res.headers['x-via']).toBe('gw');
    // Header rules alone never buffer: the upstream's framing is kept.
    expect(res.headers['transfer-encoding']).toBe('chunked');
  });
});

describe('transform: JSON bodies', () => {
  it.each([
    ['gzip', gzipSync],
    ['br', brotliCompressSync],
    ['deflate', deflateSync],
  ] as const)(
    'decodes a %s upstream body, transforms it and recomputes Content-Length',
    async (coding, compress) => {
      const up = await upstream((_req, res) => {
        const body = compress(Buffer.from(JSON.stringify({ name: 'Ada', password: 'x' })));
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-encoding': coding,
          'content-length': body.length,
          etag: '"v1"',
        });
        res.end(body);
      });
      const gw = await gateway(
        route(up, { response: { body: (b: { name: string }) => ({ name: b.name, via: 'gw' }) } }),
      );
      const res = await request(gw.url, '/api/profile', {
        headers: { 'accept-encoding': 'gzip, br, deflate' },
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.headers.etag).toBeUndefined();
      expect(res.json).toEqual({ name: 'Ada', via: 'gw' });
      expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.body)));
    },
  );

  it('transforms a chunked upstream body and answers with a Content-Length', async () => {
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"items":[1,');
      setTimeout(() => res.end('2,3]}'), 20);
    });
    const gw = await gateway(
      route(up, {
        response: { body: (b: { items: number[] }) => ({ total: b.items.length, items: b.items }) },
      }),
    );
    const res = await request(gw.url, '/api/list');
    expect(res.json).toEqual({ total: 3, items: [1, 2, 3] });
    expect(res.headers['transfer-encoding']).toBeUndefined();
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.body)));
  });

  it('keeps the edited input when a transform returns nothing', async () => {
    const up = await upstream(json(200, { a: 1 }));
    const gw = await gateway(route(up, { response: (b: Record<string, unknown>) => void (b.b = 2) }));
    expect((await request(gw.url, '/api/x')).json).toEqual({ a: 1, b: 2 });
  });

  it('applies declarative pick, omit and rename (as a JSON or YAML config would)', async () => {
    const up = await upstream(
      json(200, [
        { id: 1, name: 'Ada', secret: 's', profile: { email: 'a@x', phone: '1' } },
        'not-an-object',
      ]),
    );
    const gw = await gateway(
      route(up, {
        response: {
          body: { omit: ['secret', 'profile.phone'], rename: { name: 'fullName', 'profile.email': 'mail' } },
        },
      }),
    );
    const res = await request(gw.url, '/api/users');
    expect(res.json).toEqual([{ id: 1, fullName: 'Ada', profile: { mail: 'a@x' } }, 'not-an-object']);

    const up2 = await upstream(json(200, { id: 1, name: 'Ada', profile: { email: 'a@x', phone: '1' } }));
    const gw2 = await gateway(route(up2, { response: { body: { pick: ['id', 'profile.email'] } } }));
    expect((await request(gw2.url, '/api/users/1')).json).toEqual({ id: 1, profile: { email: 'a@x' } });
  });

  it('sends a transformed request body upstream with its new Content-Length', async () => {
    const up = await upstream();
    const gw = await gateway(
      route(up, { request: { body: (b: Record<string, unknown>) => ({ ...b, source: 'gw' }) } }),
    );
    const res = await request(gw.url, '/api/orders', {
      method: 'POST',
      body: '{"item":"tea"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    const seen = up.requests[0]!;
    expect(JSON.parse(seen.body)).toEqual({ item: 'tea', source: 'gw' });
    expect(seen.headers['content-length']).toBe(String(Buffer.byteLength(seen.body)));
  });

  it('transforms a chunked request body', async () => {
    const up = await upstream();
    const gw = await gateway(route(up, { request: { body: { omit: ['password'] } } }));
    const res = await sendChunked(gw.url, '/api/signup', ['{"user":"ada",', '"password":"hunter2"}'], {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(up.requests[0]!.body)).toEqual({ user: 'ada' });
    expect(up.requests[0]!.headers['content-length']).toBe(String(Buffer.byteLength(up.requests[0]!.body)));
  });

  it('passes non-JSON bodies through untouched, compressed or not', async () => {
    const gz = gzipSync(Buffer.from('plain text'));
    const up = await upstream((req, res) => {
      if (req.url === '/api/gz') {
        res.writeHead(200, {
          'content-type': 'text/plain',
          'content-encoding': 'gzip',
          'content-length': gz.length,
        });
        res.end(gz);
      } else {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<p>hi</p>');
      }
    });
    const calls: unknown[] = [];
    const gw = await gateway(
      route(up, { request: (b: unknown) => calls.push(b), response: (b: unknown) => calls.push(b) }),
    );
    const html = await request(gw.url, '/api/page', {
      method: 'POST',
      body: 'a=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(html.body).toBe('<p>hi</p>');
    expect(up.requests[0]!.body).toBe('a=1');
    const raw = await new Promise<Buffer>((resolve) => {
      http.get(`${gw.url}/api/gz`, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      });
    });
    expect(raw.equals(gz)).toBe(true);
    expect(calls).toEqual([]);
  });

  it('streams non-JSON answers on a body-transform route, however big', async () => {
    const big = 'z'.repeat(200 * 1024);
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(big.slice(0, 10));
      res.end(big.slice(10));
    });
    const gw = await gateway(route(up, { response: (b: unknown) => b, maxBodySize: '1kb' }));
    const res = await request(gw.url, '/api/file');
    expect(res.status).toBe(200);
    expect(res.body).toBe(big);
    expect(res.headers['transfer-encoding']).toBe('chunked');
  });

  it('leaves error answers from the upstream alone', async () => {
    const up = await upstream(json(404, { error: 'nope' }));
    const gw = await gateway(route(up, { response: { body: { pick: ['id'] } } }));
    const res = await request(gw.url, '/api/missing');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ error: 'nope' });
  });
});

describe('transform with retries', () => {
  it('sends the transformed body on every try, and a counted body once', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { users: { targets: [up.url], retries: { attempts: 2 } } },
      routes: [
        {
          path: '/api',
          service: 'users',
          transform: { request: (b: Record<string, unknown>) => ({ ...b, seen: true }) },
        },
        { path: '/limited', service: 'users', bodyLimit: '1kb' },
      ],
    });
    const put = await request(gw.url, '/api/items/1', {
      method: 'PUT',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(put.status).toBe(200);
    const chunked = await sendChunked(
      gw.url,
      '/limited/x',
      ['{"b":', '2}'],
      { 'content-type': 'application/json' },
      'PUT',
    );
    expect(chunked.status).toBe(200);
    expect(up.requests.map((r) => r.body)).toEqual(['{"a":1,"seen":true}', '{"b":2}']);
  });
});

describe('transform with the cache', () => {
  it('stores the transformed answer, so a hit runs no transform', async () => {
    const up = await upstream(json(200, { name: 'Ada', password: 'x' }));
    let runs = 0;
    const gw = await gateway(
      route(
        up,
        {
          response: (b: Record<string, unknown>) => {
            runs += 1;
            return { name: b.name };
          },
        },
        { cache: { ttl: '1m' } },
      ),
    );
    const miss = await request(gw.url, '/api/me');
    const hit = await request(gw.url, '/api/me');
    expect(miss.json).toEqual({ name: 'Ada' });
    expect(hit.json).toEqual({ name: 'Ada' });
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['content-length']).toBe(String(Buffer.byteLength(hit.body)));
    expect(runs).toBe(1);
    expect(up.requests).toHaveLength(1);
  });
});

describe('transform: malformed bodies', () => {
  it('answers 400 GW_BODY_INVALID_JSON for a malformed client body, without calling the upstream', async () => {
    const up = await upstream();
    const gw = await gateway(route(up, { request: (b: unknown) => b }));
    const res = await request(gw.url, '/api/orders', {
      method: 'POST',
      body: '{"item":',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json).toMatchObject({ code: 'GW_BODY_INVALID_JSON' });
    expect(up.requests).toHaveLength(0);
  });

  it('answers 502 GW_UPSTREAM_INVALID_JSON for a malformed upstream body', async () => {
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"broken":');
    });
    const gw = await gateway(route(up, { response: (b: unknown) => b }));
    const res = await request(gw.url, '/api/x');
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ code: 'GW_UPSTREAM_INVALID_JSON' });
  });

  it('answers 502 for an upstream body that does not match its Content-Encoding', async () => {
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end('not gzip at all');
    });
    const gw = await gateway(route(up, { response: (b: unknown) => b }));
    const res = await request(gw.url, '/api/x');
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ code: 'GW_UPSTREAM_BAD_RESPONSE' });
  });

  it('answers 500 GW_TRANSFORM_FAILED naming the route when a transform throws, and keeps serving', async () => {
    const up = await upstream(json(200, { ok: true }));
    const gw = await gateway(
      route(
        up,
        {
          response: () => {
            throw new Error('boom');
          },
        },
        { name: 'profile' },
      ),
    );
    for (let i = 0; i < 2; i++) {
      const res = await request(gw.url, '/api/me');
      expect(res.status).toBe(500);
      expect(res.json).toMatchObject({ code: 'GW_TRANSFORM_FAILED', route: 'profile' });
      expect(String(res.json!.detail)).toContain('profile');
      expect(String(res.json!.detail)).toContain('boom');
    }
    expect((await request(gw.url, '/plain/me')).status).toBe(200);
  });

  it('answers 500 GW_TRANSFORM_FAILED when a request transform throws', async () => {
    const up = await upstream();
    const gw = await gateway(
      route(up, {
        request: async () => {
          throw new Error('nope');
        },
      }),
    );
    const res = await request(gw.url, '/api/orders', {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(500);
    expect(res.json).toMatchObject({ code: 'GW_TRANSFORM_FAILED', side: 'request' });
    expect(up.requests).toHaveLength(0);
  });

  it('refuses a request body over maxBodySize with 413 instead of buffering it', async () => {
    const up = await upstream();
    const gw = await gateway(route(up, { request: (b: unknown) => b, maxBodySize: '1kb' }));
    const big = JSON.stringify({ data: 'x'.repeat(2000) });
    const declared = await request(gw.url, '/api/orders', {
      method: 'POST',
      body: big,
      headers: { 'content-type': 'application/json' },
    });
    expect(declared.status).toBe(413);
    expect(declared.json).toMatchObject({ code: 'GW_BODY_TOO_LARGE' });
    const chunked = await sendChunked(gw.url, '/api/orders', [big.slice(0, 900), big.slice(900)], {
      'content-type': 'application/json',
    });
    expect(chunked.status).toBe(413);
    expect(up.requests).toHaveLength(0);
  });

  it("reads a request body through the route's bodyLimit: over it 413, within it transformed", async () => {
    const up = await upstream();
    const gw = await gateway(
      route(up, { request: (b: Record<string, unknown>) => ({ ...b, seen: true }) }, { bodyLimit: '100b' }),
    );
    const over = await sendChunked(gw.url, '/api/orders', ['{"pad":"', 'x'.repeat(150), '"}'], {
      'content-type': 'application/json',
    });
    expect(over.status).toBe(413);
    expect(JSON.parse(over.body)).toMatchObject({ code: 'GW_BODY_TOO_LARGE' });
    const within = await sendChunked(gw.url, '/api/orders', ['{"a":', '1}'], {
      'content-type': 'application/json',
    });
    expect(within.status).toBe(200);
    expect(up.requests.map((r) => JSON.parse(r.body) as unknown)).toEqual([{ a: 1, seen: true }]);
  });

  it('answers 502 when the upstream body is over maxBodySize', async () => {
    const up = await upstream(json(200, { data: 'x'.repeat(4000) }));
    const gw = await gateway(route(up, { response: (b: unknown) => b, maxBodySize: '1kb' }));
    const res = await request(gw.url, '/api/big');
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ code: 'GW_UPSTREAM_BAD_RESPONSE' });
  });
});
