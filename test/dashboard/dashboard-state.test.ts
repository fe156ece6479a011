import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { createDashboardState, reduceDashboard } from '../../src/dashboard/dashboard-state.js';
import type { DashboardCaps } from '../../src/dashboard/dashboard-types.js';
import {
  compileFilter,
  findLimit,
  selectHeader,
  selectLimits,
  selectLive,
  selectRoutes,
} from '../../src/dashboard/dashboard-view.js';
import { LATENCY_BUCKETS } from '../../src/dashboard/latency-histogram.js';
import { WINDOW_SECONDS } from '../../src/dashboard/minute-window.js';
import { T0, configLoaded, finished, limitChecked, routeTable } from './events.js';

function stateWithRoutes() {
  return reduceDashboard(createDashboardState(), configLoaded());
}

describe('rates over a sliding minute', () => {
  it('counts requests per second and forgets those older than a minute', () => {
    const state = stateWithRoutes();
    // Two requests a second for 60 seconds, one in ten a 503.
    for (let i = 0; i < 120; i += 1) {
      reduceDashboard(state, finished({ at: T0 + i * 500, status: i % 10 === 0 ? 503 : 200 }));
    }
    const end = T0 + 60_000;
    const header = selectHeader(state, end - 1);
    expect(header.ratePerSecond).toBe(2);
    expect(header.series).toHaveLength(60);
    expect(header.series.reduce((a, b) => a + b, 0)).toBe(120);
    expect(header.errorRate).toBeCloseTo(0.1, 5);

    const later = selectHeader(state, end + 61_000);
    expect(later.ratePerSecond).toBe(0);
    expect(later.series.every((count) => count === 0)).toBe(true);
    expect(later.errorRate).toBeUndefined();
  });

  it('keeps per-route rates and 4xx/5xx counts apart', () => {
    const state = stateWithRoutes();
    for (let i = 0; i < 10; i += 1) reduceDashboard(state, finished({ at: T0 + i * 100 }));
    reduceDashboard(state, finished({ at: T0 + 200, routeId: 'orders', status: 429 }));
    reduceDashboard(state, finished({ at: T0 + 300, routeId: 'orders', status: 502 }));
    const [users, orders] = selectRoutes(state, T0 + 1500);
    expect(users).toMatchObject({ id: 'users', clientErrors: 0, serverErrors: 0, ratePerSecond: 10 / 5 });
    expect(orders).toMatchObject({ id: 'orders', clientErrors: 1, serverErrors: 1 });
  });
});

describe('latency percentiles over the last minute', () => {
  it.each([
    [0.5, 'p50', 50],
    [0.95, 'p95', 95],
    [0.99, 'p99', 99],
  ] as const)('%s → %s is within 8%% of the true value', (_q, key, expected) => {
    const state = stateWithRoutes();
    for (let ms = 1; ms <= 100; ms += 1) reduceDashboard(state, finished({ at: T0 + ms, durationMs: ms }));
    const [users] = selectRoutes(state, T0 + 1000);
    const value = users?.[key];
    expect(value).toBeDefined();
    expect(Math.abs((value ?? 0) - expected) / expected).toBeLessThan(0.08);
  });

  it('drops samples that left the window', () => {
    const state = stateWithRoutes();
    for (let i = 0; i < 50; i += 1) reduceDashboard(state, finished({ at: T0 + i, durationMs: 2 }));
    for (let i = 0; i < 50; i += 1)
      reduceDashboard(state, finished({ at: T0 + 61_000 + i, durationMs: 500 }));
    const [users] = selectRoutes(state, T0 + 61_500);
    expect(users?.p50).toBeGreaterThan(460);
    expect(users?.p50).toBeLessThan(540);
  });

  it('has no percentiles for a route without traffic', () => {
    const [users] = selectRoutes(stateWithRoutes(), T0);
    expect(users).toMatchObject({ p50: undefined, p95: undefined, p99: undefined, ratePerSecond: 0 });
  });
});

describe('callers closest to their limits', () => {
  it('orders by share of the limit used, then refusals, and counts refusals in the last minute', () => {
    const state = stateWithRoutes();
    reduceDashboard(state, limitChecked({ caller: 'web', remaining: 5 }));
    reduceDashboard(state, limitChecked({ caller: 'mobile-app', remaining: 0 }));
    reduceDashboard(state, limitChecked({ caller: 'mobile-app', remaining: 0, allowed: false, at: T0 + 10 }));
    reduceDashboard(state, limitChecked({ caller: 'cli', limit: 100, remaining: 90, routeId: 'users' }));
    reduceDashboard(state, limitChecked({ caller: 'idle', remaining: 10 }));

    const rows = selectLimits(state, T0 + 18_000);
    expect(rows.map((row) => row.caller)).toEqual(['mobile-app', 'web', 'cli']);
    expect(rows[0]).toMatchObject({ used: 10, limit: 10, remaining: 0, refusals: 1 });
    expect(rows[0]?.resetsInMs).toBe(60_000 + 10 - 18_000);
  });

  it('finds the limit behind a request, by IP for an anonymous caller', () => {
    const state = stateWithRoutes();
    reduceDashboard(state, limitChecked({ caller: '127.0.0.1', remaining: 0 }));
    reduceDashboard(state, limitChecked({ caller: 'mobile-app', remaining: 3 }));
    const anonymous = finished({ routeId: 'orders', status: 429, clientIp: '127.0.0.1' });
    expect(findLimit(state, anonymous, T0)?.caller).toBe('127.0.0.1');
    expect(findLimit(state, { ...anonymous, caller: 'mobile-app' }, T0)?.remaining).toBe(3);
    expect(findLimit(state, { ...anonymous, routeId: 'users' }, T0)).toBeUndefined();
  });

  it('counts down to the reset and then shows the window whole again', () => {
    const state = reduceDashboard(stateWithRoutes(), limitChecked({ remaining: 0, resetMs: 42_000 }));
    expect(selectLimits(state, T0 + 2_000)[0]?.resetsInMs).toBe(40_000);
    expect(selectLimits(state, T0 + 41_000)[0]?.resetsInMs).toBe(1_000);
    expect(selectLimits(state, T0 + 43_000)).toEqual([]);
  });
});

describe('config, targets and the live list', () => {
  it('shows a rejected config until a good one loads', () => {
    const state = stateWithRoutes();
    const error = new GatewayError('GW_CONFIG_INVALID', 'routes[0].service: unknown service', {
      file: '/app/gateway.config.ts',
      problems: [
        {
          path: 'routes[0].service',
          message: 'unknown service',
          expected: 'users | orders',
          received: '"ordrs"',
        },
      ],
    });
    reduceDashboard(state, { type: 'config-rejected', at: T0, file: '/app/gateway.config.ts', error });
    expect(selectHeader(state, T0).configError).toMatchObject({
      code: 'GW_CONFIG_INVALID',
      file: '/app/gateway.config.ts',
      problems: [{ path: 'routes[0].service' }],
    });
    reduceDashboard(
      state,
      configLoaded({ initial: false, changes: { added: [], removed: [], changed: ['users'] } }),
    );
    expect(selectHeader(state, T0).configError).toBeUndefined();
    expect(selectHeader(state, T0).lastLoad?.changes.changed).toEqual(['users']);
  });

  it('keeps the stats of routes a reload keeps and drops removed ones', () => {
    const state = stateWithRoutes();
    reduceDashboard(state, finished({ routeId: 'users' }));
    reduceDashboard(state, configLoaded({ routeTable: [routeTable[0]!] }));
    const rows = selectRoutes(state, T0 + 1000);
    expect(rows.map((row) => row.id)).toEqual(['users']);
    expect(rows[0]?.p50).toBeDefined();
  });

  it('fills a route the table has not named yet from its requests', () => {
    const state = createDashboardState();
    reduceDashboard(state, finished({ routeId: 'late', service: 'users', target: 'http://127.0.0.1:8001' }));
    reduceDashboard(state, finished({ routeId: 'late', service: 'users', target: 'http://127.0.0.1:8002' }));
    reduceDashboard(state, finished({ routeId: 'late', service: 'users', target: 'http://127.0.0.1:8001' }));
    expect(selectRoutes(state, T0)[0]).toMatchObject({
      id: 'late',
      methods: '—',
      path: 'late',
      service: 'users',
      targets: [{ target: 'http://127.0.0.1:8001' }, { target: 'http://127.0.0.1:8002' }],
    });
  });

  it('derives each target state, an open breaker winning over health', () => {
    const state = stateWithRoutes();
    reduceDashboard(state, {
      type: 'targets-snapshot',
      at: T0,
      targets: [
        { service: 'users', target: 'http://127.0.0.1:8001', healthy: true, inFlight: 3 },
        {
          service: 'orders',
          target: 'http://127.0.0.1:8003',
          healthy: false,
          inFlight: 0,
          reason: 'ECONNREFUSED',
        },
      ],
    });
    reduceDashboard(state, {
      type: 'breaker-state',
      at: T0,
      service: 'users',
      target: 'http://127.0.0.1:8002',
      state: 'open',
    });
    const [users, orders] = selectRoutes(state, T0);
    expect(users?.targets.map((t) => [t.status, t.inFlight])).toEqual([
      ['healthy', 3],
      ['open', 0],
    ]);
    expect(orders?.targets[0]).toMatchObject({ status: 'down', reason: 'ECONNREFUSED' });

    reduceDashboard(state, {
      type: 'breaker-state',
      at: T0,
      service: 'users',
      target: 'http://127.0.0.1:8002',
      state: 'half-open',
    });
    expect(selectRoutes(state, T0)[0]?.targets[1]?.status).toBe('half-open');
  });

  it('lists requests newest first and clears them', () => {
    const state = stateWithRoutes();
    for (let i = 1; i <= 3; i += 1) reduceDashboard(state, finished({ id: `r${i}` }));
    expect(selectLive(state).map((entry) => entry.request.id)).toEqual(['r3', 'r2', 'r1']);
    reduceDashboard(state, { type: 'dashboard/clear' });
    expect(selectLive(state)).toEqual([]);
    reduceDashboard(state, finished({ id: 'r4' }));
    expect(selectLive(state).map((entry) => entry.request.id)).toEqual(['r4']);
  });

  it.each([
    ['429', ['limited']],
    ['4xx', ['limited', 'missing']],
    ['5xx', ['broken']],
    ['orders', ['limited', 'broken']],
    ['mobile', ['limited']],
    ['post', ['broken']],
    ['orders 5xx', ['broken']],
    ['', ['ok', 'limited', 'missing', 'broken']],
  ])('the filter %j matches %j', (filter, ids) => {
    const requests = [
      finished({ id: 'ok' }),
      finished({ id: 'limited', status: 429, path: '/api/orders/1', caller: 'mobile-app' }),
      finished({ id: 'missing', status: 404, path: '/nope' }),
      finished({ id: 'broken', status: 502, method: 'POST', path: '/api/orders/2' }),
    ];
    const matches = compileFilter(filter);
    expect(requests.filter(matches).map((request) => request.id)).toEqual(ids);
  });
});

describe('the live list under load', () => {
  it('lists every error but only a sample of successes above 25 per 100 ms; counters count them all', () => {
    const state = reduceDashboard(createDashboardState({}), configLoaded());
    for (let i = 0; i < 100; i += 1) {
      const failed = i % 10 === 9;
      reduceDashboard(state, finished({ id: `r${i}`, at: T0 + (i % 50), status: failed ? 503 : 200 }));
    }
    const listed = state.live.items.filter((item) => item !== undefined).map((item) => item.request);
    expect(listed.filter((r) => r.status === 503)).toHaveLength(10);
    expect(listed.filter((r) => r.status === 200)).toHaveLength(25);
    expect(state.live.skipped).toBe(65);
    // The next 100 ms lists successes again.
    reduceDashboard(state, finished({ id: 'later', at: T0 + 150, status: 200 }));
    expect(state.live.items.some((item) => item?.request.id === 'later')).toBe(true);
  });
});

describe('bounded memory', () => {
  it('keeps every internal structure within its cap after a million events', () => {
    const caps: DashboardCaps = {
      liveRequests: 500,
      // Every request listed: this test is about the caps, not the sample.
      liveSamplePer100ms: 1_000,
      routes: 50,
      limitEntries: 100,
      targets: 64,
      warnings: 3,
    };
    const state = reduceDashboard(createDashboardState({}, caps), configLoaded());
    const request = finished();
    const limit = limitChecked();
    for (let i = 0; i < 1_000_000; i += 1) {
      const at = T0 + i; // a thousand events a second for ~17 minutes of gateway time
      switch (i % 5) {
        case 0:
        case 1:
          reduceDashboard(state, {
            ...request,
            at,
            id: `r${i}`,
            routeId: `route-${i % 997}`,
            target: `http://127.0.0.1:${i % 5000}`,
            durationMs: i % 300,
          });
          break;
        case 2:
          reduceDashboard(state, { ...limit, at, caller: `caller-${i}`, allowed: i % 3 !== 0 });
          break;
        case 3:
          reduceDashboard(state, {
            type: 'breaker-state',
            at,
            service: `svc-${i}`,
            target: 't',
            state: 'open',
          });
          break;
        default:
          reduceDashboard(state, { type: 'warning', at, message: `warning ${i}` });
      }
    }
    expect(state.live.items).toHaveLength(500);
    expect(state.live.size).toBe(500);
    expect(state.routes.size).toBeLessThanOrEqual(50);
    expect(state.events.length).toBeLessThanOrEqual(100);
    expect(state.limits.size).toBe(100);
    expect(state.targets.size).toBe(64);
    expect(state.warnings).toHaveLength(3);
    expect(state.totals.counts).toHaveLength(WINDOW_SECONDS * 3);
    for (const route of state.routes.values()) {
      expect(route.latency.counts).toHaveLength(WINDOW_SECONDS * LATENCY_BUCKETS);
      expect(route.counts.counts).toHaveLength(WINDOW_SECONDS * 3);
      expect(route.seen.targets.length).toBeLessThanOrEqual(8);
    }
    for (const entry of state.limits.values()) expect(entry.refusals.counts).toHaveLength(WINDOW_SECONDS);
    // The newest request is still there, and the window still adds up.
    expect(selectLive(state)[0]?.request.id).toBe('r999996');
    expect(selectHeader(state, T0 + 999_999).series.reduce((a, b) => a + b, 0)).toBe(24_000);
  });
});
