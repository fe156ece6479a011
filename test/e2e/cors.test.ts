import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { request } from '../helpers/http.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const app = 'http://localhost:5173';

async function setup(
  extra: Partial<GatewayConfigInput> = {},
  routeExtra: Record<string, unknown> = {},
): Promise<{ up: TestUpstream; gw: TestGateway }> {
  const up = await startUpstream((req, res) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      vary: 'Accept-Encoding',
      'access-control-allow-origin': '*',
    });
    res.end(JSON.stringify({ method: req.method }));
  });
  cleanup.push(() => up.close());
  const gw = await startTestGateway({
    services: { api: { targets: [up.url] } },
    routes: [{ path: '/api', service: 'api', ...routeExtra }],
    cors: { origins: [app], credentials: true },
    ...extra,
  });
  cleanup.push(() => gw.close());
  return { up, gw };
}

const preflight = (origin: string, method = 'PUT', headers = 'content-type, x-trace') => ({
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
});

describe('cors', () => {
  it('answers an allowed preflight itself, never touching the upstream', async () => {
    const { up, gw } = await setup();
    const res = await request(gw.url, '/api/items', preflight(app));
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(app);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-allow-methods']).toContain('PUT');
    expect(res.headers['access-control-allow-headers']).toBe('content-type, x-trace');
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.headers.vary).toContain('Origin');
    expect(up.requests).toHaveLength(0);
    expect(gw.seen.find((e) => e.type === 'request-finished')).toMatchObject({
      status: 204,
      outcome: { answeredBy: 'cors' },
    });
  });

  it('refuses a preflight from an origin, method or header it does not allow (403 GW_CORS_DENIED)', async () => {
    const { up, gw } = await setup({
      cors: { origins: [app], methods: ['GET', 'POST'], headers: ['content-type'] },
    });
    for (const options of [
      preflight('http://evil.test', 'POST', 'content-type'),
      preflight(app, 'DELETE', 'content-type'),
      preflight(app, 'POST', 'x-secret'),
    ]) {
      const res = await request(gw.url, '/api/items', options);
      expect(res.status).toBe(403);
      expect(res.json).toMatchObject({ code: 'GW_CORS_DENIED' });
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers.vary).toBe('Origin');
    }
    expect(up.requests).toHaveLength(0);
  });

  it('answers a preflight on a route that only allows the method it asks about', async () => {
    const { up, gw } = await setup({}, { methods: ['PUT'] });
    const res = await request(gw.url, '/api/items', preflight(app, 'PUT'));
    expect(res.status).toBe(204);
    expect(up.requests).toHaveLength(0);
    expect((await request(gw.url, '/api/items', { method: 'OPTIONS' })).status).toBe(405);
  });

  it("adds the CORS headers to actual answers, merges Vary and drops the upstream's own CORS headers", async () => {
    const { gw } = await setup();
    const res = await request(gw.url, '/api/items', { headers: { origin: app } });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(app);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-expose-headers']).toContain('x-request-id');
    expect(res.headers.vary).toBe('Accept-Encoding, Origin');

    const other = await request(gw.url, '/api/items', { headers: { origin: 'http://evil.test' } });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.headers.vary).toBe('Accept-Encoding, Origin');

    const none = await request(gw.url, '/api/items');
    expect(none.headers['access-control-allow-origin']).toBeUndefined();
    expect(none.headers.vary).toBe('Accept-Encoding, Origin');
  });

  it("sends '*' without Vary for origins: '*'", async () => {
    const { gw } = await setup({ cors: { origins: '*' } });
    const res = await request(gw.url, '/api/items', { headers: { origin: 'http://anything.test' } });
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers.vary).toBe('Accept-Encoding');
  });

  it('matches RegExp and wildcard origins', async () => {
    const { gw } = await setup({
      cors: { origins: [/^https:\/\/[a-z]+\.example\.test$/, 'http://localhost:*'] },
    });
    const allowed = async (origin: string) =>
      (await request(gw.url, '/api/items', { headers: { origin } })).headers['access-control-allow-origin'];
    expect(await allowed('https://app.example.test')).toBe('https://app.example.test');
    expect(await allowed('http://localhost:3000')).toBe('http://localhost:3000');
    expect(await allowed('https://app.example.test.evil')).toBeUndefined();
    expect(await allowed('http://localhost.evil:3000')).toBeUndefined();
  });

  it('lets a route override or turn off the top-level setting', async () => {
    const { gw } = await setup({}, { cors: false });
    const res = await request(gw.url, '/api/items', { headers: { origin: app } });
    expect(res.headers['access-control-allow-origin']).toBe('*'); // the upstream's own, untouched
    const { gw: gw2 } = await setup({}, { cors: { origins: ['http://other.test'] } });
    expect(
      (await request(gw2.url, '/api/items', { headers: { origin: app } })).headers[
        'access-control-allow-origin'
      ],
    ).toBeUndefined();
  });

  it('puts CORS headers on error answers too, so the page can read them', async () => {
    const { gw } = await setup({}, { auth: 'apiKey' });
    const res = await request(gw.url, '/api/items', { headers: { origin: app } });
    expect(res.status).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe(app);
    expect(res.headers.vary).toBe('Origin');
  });

  it('keeps one cached answer per origin, each with its own CORS headers', async () => {
    const { up, gw } = await setup(
      { cors: { origins: [app, 'http://admin.test'] } },
      { cache: { ttl: '1m' } },
    );
    const get = (origin: string) => request(gw.url, '/api/items', { headers: { origin } });
    await get(app);
    await get('http://admin.test');
    const appHit = await get(app);
    const adminHit = await get('http://admin.test');
    expect([appHit.headers['x-cache'], adminHit.headers['x-cache']]).toEqual(['HIT', 'HIT']);
    expect(appHit.headers['access-control-allow-origin']).toBe(app);
    expect(adminHit.headers['access-control-allow-origin']).toBe('http://admin.test');
    expect(appHit.headers.vary).toBe('Accept-Encoding, Origin');
    expect(up.requests).toHaveLength(2);
  });

  it('rejects credentials with origins: * at load time', () => {
    expect(() => resolveConfig({ cors: { origins: '*', credentials: true } })).toThrow(
      expect.objectContaining({ code: 'GW_CONFIG_INVALID' }),
    );
  });
});
