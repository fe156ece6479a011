import { afterEach, describe, expect, it } from 'vitest';
import { T0, configLoaded, finished } from './events.js';
import { keys, lineWith, renderDashboardUnderTest } from './harness.js';

type Dashboard = ReturnType<typeof renderDashboardUnderTest>;
let dashboard: Dashboard;
afterEach(() => dashboard.unmount());

const twoTargets = {
  type: 'targets-snapshot' as const,
  at: T0,
  targets: [
    { service: 'users', target: 'http://127.0.0.1:8001', healthy: true, inFlight: 0 },
    { service: 'users', target: 'http://127.0.0.1:8002', healthy: true, inFlight: 0 },
  ],
};

describe('the dashboard a newcomer reads (issue 15)', () => {
  it('shows the 4xx rate beside the 5xx rate', async () => {
    // Given a dashboard
    dashboard = renderDashboardUnderTest();
    // When one request of four is a 404 and one a 502
    dashboard.emit(
      finished({ id: 'a' }),
      finished({ id: 'b' }),
      finished({ id: 'c', status: 404 }),
      finished({ id: 'd', status: 502 }),
    );
    // Then the header shows both rates
    expect(await dashboard.frame()).toMatch(/· 4xx 25% · 5xx 25%/);
  });

  it('clears an applied filter with Esc', async () => {
    // Given a filter typed and applied
    dashboard = renderDashboardUnderTest({ terminal: { columns: 100, rows: 30 } });
    dashboard.emit(finished({ id: 'a', path: '/api/users/1' }), finished({ id: 'b', path: '/api/orders/2' }));
    await dashboard.press('/', 'o', 'r', 'd', keys.enter);
    const filtered = await dashboard.frame();
    expect(filtered).toContain('filter: ord');
    expect(filtered).not.toContain('/api/users/1');
    // When Esc is pressed
    const cleared = await dashboard.press(keys.escape);
    // Then the filter is gone and every request shows again
    expect(cleared).not.toContain('filter: ord');
    expect(cleared).toContain('/api/users/1');
  });

  it.each([
    [502, 'GW_UPSTREAM_UNREACHABLE'],
    [503, 'GW_NO_HEALTHY_TARGET'],
    [504, 'GW_UPSTREAM_TIMEOUT'],
    [401, 'GW_AUTH_REQUIRED'],
  ])('puts the code on a %i row gw answered itself', async (status, code) => {
    dashboard = renderDashboardUnderTest({ terminal: { columns: 130, rows: 30 } });
    // When gw answers a request itself
    dashboard.emit(finished({ path: '/api/users/9', status, outcome: { code, reason: 'why it happened' } }));
    // Then its row names the error
    expect(lineWith(await dashboard.frame(), '/api/users/9')).toContain(code);
  });

  it('gives ROUTE room for a whole route id at 130 columns', async () => {
    dashboard = renderDashboardUnderTest({
      terminal: { columns: 130, rows: 30 },
      initial: [
        configLoaded({
          routeTable: [
            {
              id: 'GET,POST /api/users',
              methods: ['GET', 'POST'],
              path: '/api/users',
              service: 'users',
              targets: ['http://127.0.0.1:8001'],
            },
          ],
        }),
      ],
    });
    dashboard.emit(finished({ path: '/api/users/42', routeId: 'GET,POST /api/users', caller: 'web-app' }));
    expect(lineWith(await dashboard.frame(), '/api/users/42')).toContain('GET,POST /api/users ');
  });

  it('sums up targets as `2/2 up` at 80×24', async () => {
    // Given a narrow terminal and two healthy targets
    dashboard = renderDashboardUnderTest({ terminal: { columns: 80, rows: 24 } });
    dashboard.emit(twoTargets);
    // Then the route row says how many are up instead of cutting the list off
    expect(lineWith(await dashboard.frame(), '/api/users/*')).toMatch(/2\/2 up\s*$/);
    // When one goes down
    dashboard.emit({
      type: 'target-health',
      at: T0 + 1,
      service: 'users',
      target: 'http://127.0.0.1:8002',
      healthy: false,
      reason: '3 connect failures in a row',
    });
    expect(lineWith(await dashboard.frame(), '/api/users/*')).toMatch(/1\/2 up\s*$/);
  });

  it('shows a target nothing has checked yet as unknown, not up', async () => {
    dashboard = renderDashboardUnderTest({ terminal: { columns: 140, rows: 30 } });
    dashboard.emit({
      ...twoTargets,
      targets: twoTargets.targets.map((t) => ({ ...t, healthy: true, state: 'unknown' as const })),
    });
    expect(lineWith(await dashboard.frame(), '/api/users/*')).toContain(':8001 ? :8002 ?');
  });
});

describe('the events pane (issue 15)', () => {
  it('lists health changes with their reason, reloads with duration and route diff, and breaker transitions', async () => {
    // Given a running dashboard with nothing happened yet
    dashboard = renderDashboardUnderTest({ terminal: { columns: 120, rows: 40 } });
    expect(await dashboard.frame()).not.toContain('EVENTS');

    // When a target goes down, the config reloads with a changed route, and a breaker opens
    dashboard.emit(
      {
        type: 'target-health',
        at: T0 + 1000,
        service: 'users',
        target: 'http://127.0.0.1:8002',
        healthy: false,
        reason: '3 connect failures in a row; out for 10000 ms',
      },
      configLoaded({
        at: T0 + 2000,
        initial: false,
        durationMs: 42,
        changes: { added: ['GET /api/new'], removed: [], changed: ['orders'] },
      }),
      {
        type: 'breaker-state',
        at: T0 + 3000,
        service: 'orders',
        target: 'http://127.0.0.1:8003',
        state: 'open',
      },
    );
    const frame = await dashboard.frame();

    // Then the events pane lists each, oldest first, with what a reader needs
    const pane = frame.slice(frame.indexOf('EVENTS'));
    expect(pane).toContain('▼ users :8002 down: 3 connect failures in a row; out for 10000 ms');
    expect(pane).toContain('↻ config reloaded in 42 ms: routes +GET /api/new ~orders');
    expect(pane).toContain('⚡ orders :8003 breaker open');
    expect(pane.indexOf('▼ users')).toBeLessThan(pane.indexOf('⚡ orders'));
  });
});

describe('the request detail view (issue 15)', () => {
  const refused = finished({
    id: 'req-503',
    path: '/api/catalog/1',
    routeId: 'users',
    status: 503,
    upstreamMs: undefined,
    target: undefined,
    outcome: {
      code: 'GW_NO_HEALTHY_TARGET',
      reason: 'No healthy target for service catalog',
      hint: 'Start the service or wait for its health check.',
    },
    requestHeaders: { 'x-api-key': '[redacted]', accept: 'application/json' },
    responseHeaders: {
      'retry-after': '5',
      'www-authenticate': 'Bearer realm="gw"',
      'content-type': 'application/problem+json',
    },
  });

  it('shows what gw answered — status, its headers and the problem body — and that nothing went upstream', async () => {
    // Given a 503 gw answered itself, on a tall terminal
    dashboard = renderDashboardUnderTest({ terminal: { columns: 120, rows: 60 } });
    dashboard.emit(refused);
    await dashboard.frame();
    // When it is opened
    const detail = await dashboard.press(keys.enter);
    // Then "answered by" names gw, the code and the reason
    expect(detail).toContain(
      'answered by gw itself · 503 GW_NO_HEALTHY_TARGET: No healthy target for service catalog',
    );
    // And the answer's headers and body are there
    expect(detail).toContain('WHAT GW ANSWERED: 503 Service Unavailable');
    expect(detail).toContain('retry-after: 5');
    expect(detail).toContain('www-authenticate: Bearer realm="gw"');
    expect(detail).toContain('"type": "urn:gw:problem:GW_NO_HEALTHY_TARGET"');
    expect(detail).toContain('"detail": "No healthy target for service catalog"');
    expect(detail).toContain('"hint": "Start the service or wait for its health check."');
    // And it says nothing was sent upstream, without listing headers as if they had been
    expect(detail).toContain('WHAT WENT UPSTREAM: not sent upstream');
    expect(detail).not.toContain('x-api-key');
  });

  it('shows the headers that went upstream when the upstream answered', async () => {
    dashboard = renderDashboardUnderTest({ terminal: { columns: 120, rows: 60 } });
    dashboard.emit(
      finished({
        upstreamUrl: 'http://127.0.0.1:8001/users/1',
        requestHeaders: { 'x-client-id': 'web-app' },
        responseHeaders: { 'content-type': 'application/json' },
      }),
    );
    await dashboard.frame();
    const detail = await dashboard.press(keys.enter);
    expect(detail).toContain('answered by the upstream http://127.0.0.1:8001 (service users)');
    expect(detail).toContain('WHAT THE CLIENT GOT: 200 OK (from the upstream)');
    expect(detail).toContain('WHAT WENT UPSTREAM: http://127.0.0.1:8001/users/1');
    expect(detail).toContain('x-client-id: web-app');
  });

  it('scrolls at 80×24 down to the end of the problem body', async () => {
    // Given the 503 opened on a small terminal
    dashboard = renderDashboardUnderTest({ terminal: { columns: 80, rows: 24 } });
    dashboard.emit(refused);
    await dashboard.frame();
    const top = await dashboard.press(keys.enter);
    expect(top).toContain('answered by');
    expect(top).not.toContain('not sent upstream');
    expect(top).toMatch(/lines 1–\d+ of \d+ · j\/k/);
    // When it is scrolled down
    const bottom = await dashboard.press('j', 'j', 'j', 'j');
    // Then the end shows, and the start has scrolled away
    expect(bottom).toContain('WHAT WENT UPSTREAM: not sent upstream');
    expect(bottom).not.toContain('answered by');
    // And k scrolls back up
    expect(await dashboard.press('k', 'k', 'k', 'k')).toContain('answered by');
  });
});
