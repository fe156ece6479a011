import { describe, expect, it } from 'vitest';
import { waitFor, type TestUpstream } from '../helpers/upstream.js';
import { request } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';

const { upstream, gateway } = useTestServers();

/** Three services so that every answer says which upstream got the request and what path it saw. */
async function setup() {
  const [users, admin, files] = [await upstream(), await upstream(), await upstream()];
  const gw = await gateway({
    services: {
      users: { targets: [users.url] },
      admin: { targets: [admin.url] },
      files: { targets: [files.url] },
    },
    // Written least specific first: the order in the file must not matter.
    routes: [
      { path: '/*', service: 'files' },
      { path: '/admin', service: 'admin' },
      { path: '/api/users/:id', service: 'admin', methods: ['DELETE'] },
      { path: '/api/users', service: 'users', stripPrefix: '/api' },
      { path: '/api/orders', service: 'users', methods: ['POST'] },
    ],
  });
  return { users, admin, files, gw };
}

describe('routing through a real gateway', () => {
  it('forwards the canonical path to the most specific route and keeps the query', async () => {
    const { users, admin, files, gw } = await setup();
    const cases: Array<{ method?: string; path: string; upstream: TestUpstream; url: string }> = [
      { path: '/api/users', upstream: users, url: '/users' },
      { path: '/api/users/7?x=1&y=%2F', upstream: users, url: '/users/7?x=1&y=%2F' },
      { path: '//api//users///7', upstream: users, url: '/users/7' },
      { path: '/api/users/./7', upstream: users, url: '/users/7' },
      { path: '/api%2fusers%2f7', upstream: users, url: '/users/7' },
      { method: 'DELETE', path: '/api/users/7', upstream: admin, url: '/api/users/7' },
      { path: '/api/usersadmin', upstream: files, url: '/api/usersadmin' },
      { path: '/admin/panel', upstream: admin, url: '/admin/panel' },
    ];
    for (const c of cases) {
      const before = c.upstream.requests.length;
      const res = await request(gw.url, c.path, { method: c.method });
      expect(res.status, c.path).toBe(200);
      expect(c.upstream.requests.length, c.path).toBe(before + 1);
      expect(c.upstream.requests.at(-1)!.url, c.path).toBe(c.url);
    }
  });

  it.each([
    ['/api/users/../../admin'],
    ['/api/users/%2e%2e/%2e%2e/admin'],
    ['/api/users/%2E%2E%2F%2E%2E%2Fadmin'],
    ['/api/users/..%2f..%2fadmin'],
    ['/api/users/.%2e/.%2e/admin/../admin'],
  ])('traversal %s never reaches the users upstream', async (path) => {
    const { users, admin, gw } = await setup();
    const res = await request(gw.url, path);
    expect(users.requests).toHaveLength(0);
    // Resolved to /admin: it is the admin route's request now, with the canonical path.
    expect(res.status).toBe(200);
    expect(admin.requests.map((r) => r.url)).toEqual(['/admin']);
  });

  it.each([['/%61dmin/panel'], ['/ad%6Din/panel'], ['/adm%69n/panel'], ['/%61%64%6D%69%6E/panel']])(
    'percent-encoded letters (%s) cannot dodge the route they spell',
    async (path) => {
      const { admin, files, gw } = await setup();
      const res = await request(gw.url, path);
      expect(res.status).toBe(200);
      expect(files.requests).toHaveLength(0);
      expect(admin.requests.map((r) => r.url)).toEqual(['/admin/panel']);
    },
  );

  it('keeps other percent-escapes as they are (an encoded space, a UTF-8 letter)', async () => {
    const { users, gw } = await setup();
    await request(gw.url, '/api/users/a%20b/caf%C3%A9');
    expect(users.requests.map((r) => r.url)).toEqual(['/users/a%20b/caf%C3%A9']);
  });

  it('a path that climbs above the root is a 400 GW_BAD_PATH and reaches no upstream', async () => {
    const { users, admin, files, gw } = await setup();
    for (const path of ['/api/users/../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..']) {
      const res = await request(gw.url, path);
      expect(res.status, path).toBe(400);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.json?.code).toBe('GW_BAD_PATH');
    }
    expect([...users.requests, ...admin.requests, ...files.requests]).toEqual([]);
  });

  it('answers 405 with Allow when only the method is wrong', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [
        { path: '/api/orders', service: 's', methods: ['POST'] },
        { path: '/api/orders', service: 's', methods: ['PUT'], name: 'put-orders' },
      ],
    });
    const res = await request(gw.url, '/api/orders/1', { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers.allow).toBe('POST, PUT');
    expect(res.json).toMatchObject({ code: 'GW_METHOD_NOT_ALLOWED', status: 405 });
    expect(up.requests).toHaveLength(0);
    expect((await request(gw.url, '/api/orders/1', { method: 'POST' })).status).toBe(200);
  });

  it('answers 404 problem+json naming the closest routes', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [
        { path: '/api/users', service: 's' },
        { path: '/api/orders', service: 's' },
        { path: '/health', service: 's' },
      ],
    });
    const res = await request(gw.url, '/api/user');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json).toMatchObject({ code: 'GW_ROUTE_NOT_FOUND', status: 404, instance: '/api/user' });
    expect((res.json!.closest as string[])[0]).toBe('/api/users');
    expect(res.json!.hint).toContain('/api/users');
    expect(res.headers['x-request-id']).toBe(res.json!.requestId);
    expect(up.requests).toHaveLength(0);
  });

  it('rewrites with {from,to} and with a function, keeping the query string', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [
        { path: '/v1', service: 's', rewrite: { from: '^/v1/(.*)$', to: '/internal/v2/$1' } },
        { path: '/fn', service: 's', stripPrefix: '/fn', rewrite: (path: string) => `/by-function${path}` },
      ],
    });
    await request(gw.url, '/v1/items/3?q=a+b&z=%20');
    await request(gw.url, '/fn/x/y?page=2');
    expect(up.requests.map((r) => r.url)).toEqual([
      '/internal/v2/items/3?q=a+b&z=%20',
      '/by-function/x/y?page=2',
    ]);
  });

  it('a rewrite function that throws or returns a non-string answers 500 GW_INTERNAL, and the gateway keeps serving', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [
        {
          path: '/bad',
          service: 's',
          rewrite: () => {
            throw new Error('rewrite exploded');
          },
        },
        { path: '/odd', service: 's', rewrite: (() => 42) as unknown as (path: string) => string },
        { path: '/fine', service: 's' },
      ],
    });
    for (const path of ['/bad/x', '/odd/x']) {
      const res = await request(gw.url, path);
      expect(res.status, path).toBe(500);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.json!.code).toBe('GW_INTERNAL');
    }
    expect(up.requests).toHaveLength(0);
    expect((await request(gw.url, '/fine')).status).toBe(200);
  });

  it('methods default to all: every method reaches the upstream with its body', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
    for (const method of methods) {
      const body = `body-${method}`;
      const res = await request(gw.url, '/api/x', {
        method,
        body,
        headers: { 'content-length': Buffer.byteLength(body) },
      });
      expect(res.status, method).toBe(200);
    }
    expect(up.requests.map((r) => [r.method, r.body])).toEqual(methods.map((m) => [m, `body-${m}`]));
  });

  it('a chunked body stays one framed request upstream, whatever the method', async () => {
    const up = await upstream();
    let upstreamParseErrors = 0;
    up.server.on('clientError', () => upstreamParseErrors++);
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const methods = ['POST', 'DELETE', 'OPTIONS', 'GET'];
    for (const method of methods) {
      // http-proxy would send a chunked DELETE as `Content-Length: 0` followed by the body bytes.
      const res = await request(gw.url, '/api/x', {
        method,
        body: `GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n`,
        headers: { 'transfer-encoding': 'chunked' },
      });
      expect(res.status, method).toBe(200);
    }
    expect(up.requests.map((r) => r.method)).toEqual(methods);
    expect(up.requests.every((r) => r.body.startsWith('GET /smuggled'))).toBe(true);
    expect(upstreamParseErrors).toBe(0);
  });

  it('emits request-started and request-finished with route, target, status and timings', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's', stripPrefix: '/api' }],
    });
    await request(gw.url, '/api/x?y=1', { headers: { 'x-request-id': 'evt-1' } });
    await waitFor(() => gw.seen.some((e) => e.type === 'request-finished'));
    const started = gw.seen.find((e) => e.type === 'request-started');
    const finished = gw.seen.find((e) => e.type === 'request-finished');
    expect(started).toMatchObject({ id: 'evt-1', method: 'GET', path: '/api/x' });
    expect(finished).toMatchObject({
      id: 'evt-1',
      method: 'GET',
      path: '/api/x?y=1',
      status: 200,
      routeId: '* /api',
      service: 's',
      target: up.url,
      upstreamUrl: `${up.url}/x?y=1`,
      clientIp: '127.0.0.1',
    });
    if (finished?.type !== 'request-finished') throw new Error('no request-finished');
    expect(finished.durationMs).toBeGreaterThan(0);
    expect(finished.upstreamMs).toBeGreaterThan(0);
    expect(finished.upstreamMs!).toBeLessThanOrEqual(finished.durationMs);
  });

  it('reuses keep-alive connections to the upstream', async () => {
    const up = await upstream();
    let connections = 0;
    up.server.on('connection', () => connections++);
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    for (let i = 0; i < 10; i++) expect((await request(gw.url, `/api/${i}`)).status).toBe(200);
    expect(up.requests).toHaveLength(10);
    expect(connections).toBe(1);
  });

  it('serves /__gw/health and /__gw/routes itself', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's', methods: ['GET'] }],
    });
    // A target nothing has probed or used yet is `unknown`, not ok (issue 15).
    const before = await request(gw.url, '/__gw/health');
    expect(before.status).toBe(200);
    expect(before.json).toMatchObject({
      status: 'unknown',
      services: { s: { state: 'unknown', targets: [{ url: up.url, state: 'unknown', healthy: false }] } },
    });
    expect((await request(gw.url, '/api')).status).toBe(200);
    const health = await request(gw.url, '/__gw/health');
    expect(health.json).toMatchObject({
      status: 'ok',
      services: { s: { healthy: true, targets: [{ url: up.url, state: 'healthy', healthy: true }] } },
    });
    const routes = await request(gw.url, '/__gw/routes');
    expect(routes.json).toEqual([
      expect.objectContaining({ path: '/api', methods: ['GET'], service: 's', targets: [up.url] }),
    ]);
    // Only the request to /api reached the upstream; the admin endpoints answered themselves.
    expect(up.requests.map((r) => r.url)).toEqual(['/api']);
  });
});
