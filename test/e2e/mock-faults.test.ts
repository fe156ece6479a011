import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve-config.js';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import type { MockRequest } from '../../src/middleware/mock-schema.js';
import { startUpstream } from '../helpers/upstream.js';
import { type TestGateway } from '../helpers/gateway.js';
import { freePort, parseRawAnswer, rawExchange, request } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';

const { cleanup, upstream, gateway } = useTestServers();

const finished = (gw: TestGateway) => gw.seen.filter((e) => e.type === 'request-finished');

describe('mock', () => {
  it('answers a route without a service from its static mock', async () => {
    const gw = await gateway({
      routes: [
        { path: '/api/flags', mock: { status: 200, json: { beta: true } } },
        { path: '/api/text', mock: { status: 418, body: 'teapot', headers: { 'X-Mock': 'yes' } } },
      ],
    });
    const flags = await request(gw.url, '/api/flags');
    expect(flags.status).toBe(200);
    expect(flags.json).toEqual({ beta: true });
    expect(flags.headers['content-type']).toBe('application/json');
    expect(flags.headers['content-length']).toBe(String(Buffer.byteLength(flags.body)));
    expect(flags.headers['x-request-id']).toBeTruthy();
    const text = await request(gw.url, '/api/text');
    expect(text.status).toBe(418);
    expect(text.body).toBe('teapot');
    expect(text.headers['x-mock']).toBe('yes');
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(finished(gw)[0]).toMatchObject({ status: 200, outcome: { mocked: true, answeredBy: 'mock' } });
  });

  it('waits `delay` before answering', async () => {
    const gw = await gateway({ routes: [{ path: '/api/slow', mock: { json: {}, delay: '150ms' } }] });
    const started = performance.now();
    expect((await request(gw.url, '/api/slow')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('calls a mock function with the request (TS configs)', async () => {
    const gw = await gateway({
      routes: [
        {
          path: '/api/users/:id',
          mock: async (req: MockRequest) => ({
            status: req.method === 'POST' ? 201 : 200,
            json: {
              id: req.params.id,
              q: req.query.get('q'),
              body: req.method === 'POST' ? await req.body() : null,
            },
          }),
        },
      ],
    });
    const get = await request(gw.url, '/api/users/7?q=x');
    expect(get.json).toEqual({ id: '7', q: 'x', body: null });
    const post = await request(gw.url, '/api/users/8', {
      method: 'POST',
      body: '{"name":"Ada"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(post.status).toBe(201);
    expect(post.json).toEqual({ id: '8', q: null, body: { name: 'Ada' } });
  });

  it('answers 500 GW_MOCK_FAILED when a mock function throws or returns nonsense, and keeps serving', async () => {
    const gw = await gateway({
      routes: [
        {
          path: '/api/throws',
          mock: () => {
            throw new Error('boom');
          },
        },
        { path: '/api/nonsense', mock: (() => ({ status: 'ok' })) as never },
        { path: '/api/fine', mock: { json: 1 } },
      ],
    });
    const thrown = await request(gw.url, '/api/throws');
    expect(thrown.status).toBe(500);
    expect(thrown.json).toMatchObject({ code: 'GW_MOCK_FAILED' });
    expect(String(thrown.json!.detail)).toContain('boom');
    expect((await request(gw.url, '/api/nonsense')).json).toMatchObject({ code: 'GW_MOCK_FAILED' });
    expect((await request(gw.url, '/api/fine')).status).toBe(200);
  });

  it("answers from the mock while a `fallback: 'mock'` service is down, and from the service once it is up", async () => {
    const port = await freePort();
    const config: GatewayConfigInput = {
      services: {
        orders: {
          targets: [`http://127.0.0.1:${port}`],
          fallback: 'mock',
          passiveHealth: { failures: 1000, cooldown: '1m' },
        },
      },
      routes: [{ path: '/api/orders', service: 'orders', mock: { json: { orders: [], stale: true } } }],
    };
    const gw = await gateway(config);
    const down = await request(gw.url, '/api/orders');
    expect(down.status).toBe(200);
    expect(down.json).toEqual({ orders: [], stale: true });
    expect(finished(gw)[0]!.outcome).toMatchObject({ mocked: true, answeredBy: 'mock' });
    expect(finished(gw)[0]!.outcome.reason).toContain('GW_UPSTREAM_UNREACHABLE');

    const up = await startUpstream(undefined);
    cleanup.push(() => up.close());
    await gw.reload({ ...config, services: { orders: { ...config.services!.orders!, targets: [up.url] } } });
    const live = await request(gw.url, '/api/orders');
    expect(live.json).toMatchObject({ method: 'GET', url: '/api/orders' });
    expect(up.requests).toHaveLength(1);
  });

  it('falls back when every target is marked down (GW_NO_HEALTHY_TARGET)', async () => {
    const port = await freePort();
    const gw = await gateway({
      services: {
        orders: {
          targets: [`http://127.0.0.1:${port}`],
          fallback: 'mock',
          passiveHealth: { failures: 1, cooldown: '1m' },
        },
      },
      routes: [{ path: '/api/orders', service: 'orders', mock: { json: { fallback: true } } }],
    });
    for (let i = 0; i < 3; i++)
      expect((await request(gw.url, '/api/orders')).json).toEqual({ fallback: true });
    expect(finished(gw).map((e) => e.outcome.reason?.match(/GW_[A-Z_]+/)?.[0])).toContain(
      'GW_NO_HEALTHY_TARGET',
    );
  });

  it('falls back while the circuit breaker is open (GW_CIRCUIT_OPEN)', async () => {
    const up = await startUpstream((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('overloaded');
    });
    cleanup.push(() => up.close());
    const gw = await gateway({
      services: {
        orders: {
          targets: [up.url],
          fallback: 'mock',
          circuitBreaker: { failureThreshold: 2, cooldown: '1m' },
        },
      },
      routes: [{ path: '/api/orders', service: 'orders', mock: { json: { fallback: true } } }],
    });
    expect((await request(gw.url, '/api/orders')).status).toBe(503);
    expect((await request(gw.url, '/api/orders')).status).toBe(503);
    const open = await request(gw.url, '/api/orders');
    expect(open.status).toBe(200);
    expect(open.json).toEqual({ fallback: true });
    expect(up.requests).toHaveLength(2);
    expect(finished(gw)[2]!.outcome.reason).toContain('GW_CIRCUIT_OPEN');
  });

  it('does not hide other upstream failures behind the fallback', async () => {
    const up = await startUpstream((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('real error');
    });
    cleanup.push(() => up.close());
    const gw = await gateway({
      services: { orders: { targets: [up.url], fallback: 'mock' } },
      routes: [{ path: '/api/orders', service: 'orders', mock: { json: { fallback: true } } }],
    });
    const res = await request(gw.url, '/api/orders');
    expect(res.status).toBe(500);
    expect(res.body).toBe('real error');
  });

  it('always answers from the mock when the service has no fallback (mocking a live service)', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { users: { targets: [up.url] } },
      routes: [{ path: '/api/users', service: 'users', mock: { json: { mocked: true } } }],
    });
    expect((await request(gw.url, '/api/users')).json).toEqual({ mocked: true });
    expect(up.requests).toHaveLength(0);
  });
});

describe('faults', () => {
  it('answers errorStatus with GW_FAULT_INJECTED at errorRate 1, without calling the upstream', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { search: { targets: [up.url] } },
      routes: [{ path: '/api/search', service: 'search', faults: { errorRate: 1, errorStatus: 500 } }],
    });
    const res = await request(gw.url, '/api/search');
    expect(res.status).toBe(500);
    expect(res.json).toMatchObject({ code: 'GW_FAULT_INJECTED', status: 500 });
    expect(up.requests).toHaveLength(0);
    expect(finished(gw)[0]!.outcome).toMatchObject({ fault: '500', answeredBy: 'faults' });
  });

  it('adds the configured latency, fixed or from a range', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { search: { targets: [up.url] } },
      routes: [
        { path: '/api/fixed', service: 'search', faults: { latency: '200ms' } },
        { path: '/api/range', service: 'search', faults: { latency: ['100ms', '150ms'] } },
      ],
    });
    let started = performance.now();
    expect((await request(gw.url, '/api/fixed')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    started = performance.now();
    expect((await request(gw.url, '/api/range')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    const faults = finished(gw).map((e) => e.outcome.fault);
    expect(faults[0]).toBe('+200ms');
    expect(Number(/\+(\d+)ms/.exec(faults[1] ?? '')?.[1])).toBeGreaterThanOrEqual(100);
    expect(Number(/\+(\d+)ms/.exec(faults[1] ?? '')?.[1])).toBeLessThanOrEqual(150);
  });

  it('fails roughly errorRate of the requests (mocked route, 300 requests)', async () => {
    const gw = await gateway({
      routes: [{ path: '/api/flaky', mock: { json: {} }, faults: { errorRate: 0.5 } }],
    });
    let failed = 0;
    for (let i = 0; i < 300; i++) if ((await request(gw.url, '/api/flaky')).status === 503) failed++;
    // Binomial(300, 0.5): 150 ± 8.7; outside 90…210 is a ~7-sigma event.
    expect(failed).toBeGreaterThan(90);
    expect(failed).toBeLessThan(210);
  });

  it('rejects a latency range that runs backwards', () => {
    expect(() =>
      resolveConfig({ routes: [{ path: '/x', mock: { json: 1 }, faults: { latency: ['500ms', '100ms'] } }] }),
    ).toThrow(expect.objectContaining({ code: 'GW_CONFIG_INVALID' }));
  });
});

describe('mock and WebSocket upgrades', () => {
  it('refuses an upgrade on a mocked route with a proper answer (426)', async () => {
    const gw = await gateway({ routes: [{ path: '/ws', mock: { json: {} }, websocket: true }] });
    const raw = await rawExchange(
      gw.url,
      'GET /ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    const answer = parseRawAnswer(raw);
    expect(answer.status).toBe(426);
    expect(answer.json).toMatchObject({ code: 'GW_UPGRADE_NOT_ALLOWED' });
  });
});
