import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { checkConfigRules } from '../../src/config/config-rules.js';
import { compilePartPath } from '../../src/middleware/aggregate-part.js';
import { type UpstreamHandler } from '../helpers/upstream.js';
import { request } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';

const { upstream, gateway } = useTestServers();

const json =
  (status: number, value: unknown, delayMs = 0, type = 'application/json'): UpstreamHandler =>
  (_req, res) => {
    const timer = setTimeout(() => {
      res.writeHead(status, { 'content-type': type });
      res.end(JSON.stringify(value));
    }, delayMs);
    res.on('close', () => clearTimeout(timer));
  };

/** users, orders, a slow service (1.5 s) and a broken one (500 problem+json). */
async function services() {
  const users = await upstream((req, res) => json(200, { name: 'Ada', path: req.url })(req, res, ''));
  const orders = await upstream(json(200, [{ id: 1 }, { id: 2 }]));
  const slow = await upstream(json(200, { late: true }, 1500));
  const broken = await upstream(
    json(500, { title: 'Database unavailable', status: 500 }, 0, 'application/problem+json'),
  );
  return {
    users,
    orders,
    slow,
    broken,
    config: {
      users: { targets: [users.url] },
      orders: { targets: [orders.url] },
      slow: { targets: [slow.url] },
      broken: { targets: [broken.url] },
    },
  };
}

describe('aggregate', () => {
  it('calls every part in parallel and answers one object keyed by name, with identity and request id forwarded', async () => {
    const s = await services();
    const gw = await gateway({
      services: s.config,
      routes: [
        {
          path: '/api/dashboard',
          methods: ['GET'],
          auth: 'apiKey',
          aggregate: {
            user: { service: 'users', path: '/user/profile' },
            orders: { service: 'orders', path: '/orders/recent' },
          },
          timeout: '2s',
        },
      ],
    });
    const { key } = await gw.state.keys.create({ name: 'web-app', scopes: ['dash:read'] });
    const res = await request(gw.url, '/api/dashboard', {
      headers: { 'x-api-key': key, 'x-request-id': 'dash-1', 'x-user-id': 'spoofed' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['x-gw-partial']).toBeUndefined();
    expect(res.json).toEqual({
      user: { name: 'Ada', path: '/user/profile' },
      orders: [{ id: 1 }, { id: 2 }],
    });
    for (const up of [s.users, s.orders]) {
      const headers = up.requests[0]!.headers;
      expect(headers['x-request-id']).toBe('dash-1');
      expect(headers['x-client-id']).toBe('web-app');
      expect(headers['x-scopes']).toBe('dash:read');
      expect(headers['x-user-id']).toBeUndefined();
      expect(headers['x-api-key']).toBeUndefined();
    }
  });

  it('answers without the slow part when it times out, and says the answer is partial', async () => {
    const s = await services();
    const gw = await gateway({
      services: s.config,
      routes: [
        {
          path: '/api/dash',
          aggregate: { user: { service: 'users', path: '/u' }, late: { service: 'slow', path: '/s' } },
          timeout: '300ms',
        },
      ],
    });
    const started = performance.now();
    const res = await request(gw.url, '/api/dash');
    expect(performance.now() - started).toBeLessThan(1400);
    expect(res.status).toBe(200);
    expect(res.headers['x-gw-partial']).toBe('late');
    expect(res.json).toEqual({
      user: { name: 'Ada', path: '/u' },
      late: { error: { status: 504, title: 'The upstream did not answer in time' } },
    });
    expect(gw.seen).toContainEqual(
      expect.objectContaining({
        type: 'request-finished',
        outcome: expect.objectContaining({ partial: true }),
      }),
    );
  });

  it('shows a failing part as an error entry with its status and title', async () => {
    const s = await services();
    const gw = await gateway({
      services: s.config,
      routes: [
        {
          path: '/api/dash',
          aggregate: { orders: { service: 'orders', path: '/o' }, stock: { service: 'broken', path: '/b' } },
        },
      ],
    });
    const res = await request(gw.url, '/api/dash');
    expect(res.status).toBe(200);
    expect(res.headers['x-gw-partial']).toBe('stock');
    expect(res.json).toEqual({
      orders: [{ id: 1 }, { id: 2 }],
      stock: { error: { status: 500, title: 'Database unavailable' } },
    });
  });

  it.each([
    { part: 'broken', status: 502, code: 'GW_AGGREGATE_PART_FAILED' },
    { part: 'slow', status: 504, code: 'GW_UPSTREAM_TIMEOUT' },
  ])(
    'fails the whole call with $status when the required $part part fails',
    async ({ part, status, code }) => {
      const s = await services();
      const gw = await gateway({
        services: s.config,
        routes: [
          {
            path: '/api/dash',
            aggregate: {
              must: { service: part, path: '/m', required: true, timeout: '200ms' },
              late: { service: 'slow', path: '/s' },
            },
            timeout: '3s',
          },
        ],
      });
      const started = performance.now();
      const res = await request(gw.url, '/api/dash');
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.json).toMatchObject({ code, part: 'must' });
      // The other parts are abandoned, not awaited.
      expect(performance.now() - started).toBeLessThan(1400);
    },
  );

  it('shapes the answer with a merge function and fills route parameters into part paths', async () => {
    const s = await services();
    const gw = await gateway({
      services: s.config,
      routes: [
        {
          path: '/api/users/:id/summary',
          aggregate: {
            parts: {
              user: { service: 'users', path: '/users/:id' },
              orders: { service: 'orders', path: '/orders?user=:id' },
            },
            merge: (results, ctx) => ({
              name: (results.user as { name: string }).name,
              orderCount: (results.orders as unknown[]).length,
              userPath: (results.user as { path: string }).path,
              id: ctx.params.id,
            }),
          },
        },
      ],
    });
    const res = await request(gw.url, '/api/users/a%20b/summary');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ name: 'Ada', orderCount: 2, userPath: '/users/a%20b', id: 'a b' });
    expect(s.orders.requests[0]!.url).toBe('/orders?user=a%20b');
  });

  it('answers 500 GW_AGGREGATE_MERGE_FAILED when the merge function throws, and keeps serving', async () => {
    const s = await services();
    const gw = await gateway({
      services: s.config,
      routes: [
        {
          path: '/api/dash',
          aggregate: {
            parts: { user: { service: 'users', path: '/u' } },
            merge: () => {
              throw new Error('boom');
            },
          },
        },
      ],
    });
    const res = await request(gw.url, '/api/dash');
    expect(res.status).toBe(500);
    expect(res.json?.code).toBe('GW_AGGREGATE_MERGE_FAILED');
    expect((await request(gw.url, '/api/dash')).status).toBe(500);
  });

  it("goes through the part's circuit breaker", async () => {
    const s = await services();
    const gw = await gateway({
      services: {
        ...s.config,
        broken: { targets: [s.broken.url], circuitBreaker: { failureThreshold: 1, cooldown: '30s' } },
      },
      routes: [{ path: '/api/dash', aggregate: { stock: { service: 'broken', path: '/b' } } }],
    });
    await request(gw.url, '/api/dash');
    const res = await request(gw.url, '/api/dash');
    expect(res.json).toEqual({ stock: { error: { status: 503, title: 'Circuit open' } } });
    expect(s.broken.requests).toHaveLength(1);
  });

  it('needs no service on the route, and rejects unknown part keys', () => {
    const route = { path: '/api/dash', aggregate: { user: { service: 'users', path: '/u' } } };
    const config = { services: { users: { targets: ['http://127.0.0.1:1'] } }, routes: [route] };
    expect(checkConfigRules(config)).toEqual([]);
    expect(configSchema.safeParse(config).success).toBe(true);
    const typo = {
      ...config,
      routes: [{ path: '/x', aggregate: { user: { service: 'users', path: '/u', requird: true } } }],
    };
    expect(configSchema.safeParse(typo).success).toBe(false);
    expect(configSchema.safeParse({ ...config, routes: [{ path: '/x', aggregate: {} }] }).success).toBe(
      false,
    );
    const unknown = {
      ...config,
      routes: [{ path: '/x', aggregate: { parts: { user: { service: 'user', path: '/u' } } } }],
    };
    expect(checkConfigRules(unknown)).toEqual([
      expect.objectContaining({
        path: 'routes[0].aggregate.parts.user.service',
        message: "no service 'user'",
        hint: "did you mean 'users'?",
      }),
    ]);
    const plain = {
      ...config,
      routes: [{ path: '/x', aggregate: { user: { service: 'billing', path: '/u' } } }],
    };
    expect(checkConfigRules(plain)).toEqual([
      expect.objectContaining({ path: 'routes[0].aggregate.user.service' }),
    ]);
  });

  it('compiles part paths once: parameters are encoded, unknown ones stay as written', () => {
    const toPath = compilePartPath('/users/:id/orders/:missing?at=10:30');
    expect(toPath({ id: 'x/y' })).toBe('/users/x%2Fy/orders/:missing?at=10:30');
    expect(compilePartPath('/plain')({})).toBe('/plain');
  });
});
