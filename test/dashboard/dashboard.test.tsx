import { afterEach, describe, expect, it } from 'vitest';
import chalk from 'chalk';
import { GatewayError } from '../../src/errors.js';
import { T0, configLoaded, finished, limitChecked } from './events.js';
import { keys, lineWith, masked, renderDashboardUnderTest, type DashboardUnderTest } from './harness.js';

let dashboard: DashboardUnderTest;
afterEach(() => dashboard.unmount());

describe('the dashboard', () => {
  it('shows a request as it finishes, in the live list and in its route row', async () => {
    // Given a dashboard with the users and orders routes
    dashboard = renderDashboardUnderTest();
    expect(await dashboard.frame()).toContain('waiting for requests…');

    // When a request through the users route finishes
    dashboard.emit(finished({ path: '/api/users/42', status: 201, durationMs: 12, caller: 'web-app' }));
    dashboard.advance(2000);
    const frame = await dashboard.frame();

    // Then it is listed with its method, path, status, latency, route, target and caller
    expect(masked(lineWith(frame, '/api/users/42'))).toMatch(
      /^ 00:00:00 GET\s+\/api\/users\/00\s+000\s+00ms users\s+:0000\s+web-app/,
    );
    // And the route row counts it
    expect(lineWith(frame, '/api/users/*')).toMatch(/GET,POST\s+\/api\/users\/\*\s+users\s+0\.2\s+12ms/);
    expect(frame).toContain('1 in the list');
  });

  it('shows a reload error in a banner until a good reload', async () => {
    // Given a running dashboard
    dashboard = renderDashboardUnderTest();
    expect(await dashboard.frame()).not.toContain('config rejected');

    // When an edit to the config is rejected
    const error = new GatewayError('GW_CONFIG_INVALID', 'The config is not valid', {
      file: '/app/gateway.config.ts',
      problems: [
        {
          path: 'routes[1].service',
          message: 'unknown service',
          expected: 'users | orders',
          received: '"ordrs"',
        },
      ],
    });
    dashboard.emit({ type: 'config-rejected', at: T0 + 5000, file: '/app/gateway.config.ts', error });
    const rejected = await dashboard.frame();

    // Then the banner names the file, the field, what was expected and the hint
    expect(rejected).toContain('✖ config rejected at');
    expect(rejected).toContain('the last good config keeps serving · GW_CONFIG_INVALID');
    expect(rejected).toContain('/app/gateway.config.ts: The config is not valid');
    expect(rejected).toContain(
      'routes[1].service: unknown service (expected users | orders, received "ordrs")',
    );
    expect(rejected).toContain('hint: Fix the fields listed above');

    // When the file is fixed and reloads
    dashboard.emit(
      configLoaded({
        at: T0 + 9000,
        initial: false,
        changes: { added: [], removed: [], changed: ['orders'] },
      }),
    );
    const fixed = await dashboard.frame();

    // Then the banner is gone and the header says what changed
    expect(fixed).not.toContain('config rejected');
    expect(masked(fixed)).toContain('reloaded 00:00:00: routes ~orders (00 ms)');
  });

  it('shows a target whose breaker opens', async () => {
    // Given the users route with two healthy targets, on a wide terminal
    dashboard = renderDashboardUnderTest({ terminal: { columns: 140, rows: 30 } });
    dashboard.emit({
      type: 'targets-snapshot',
      at: T0,
      targets: [
        { service: 'users', target: 'http://127.0.0.1:8001', healthy: true, inFlight: 2 },
        { service: 'users', target: 'http://127.0.0.1:8002', healthy: true, inFlight: 0 },
      ],
    });
    expect(lineWith(await dashboard.frame(), '/api/users/*')).toContain(':8001 up 2↻ :8002 up');

    // When the breaker of the second target opens
    dashboard.emit({
      type: 'breaker-state',
      at: T0 + 1,
      service: 'users',
      target: 'http://127.0.0.1:8002',
      state: 'open',
    });

    // Then its row says so
    expect(lineWith(await dashboard.frame(), '/api/users/*')).toContain(':8002 breaker open');

    // And half-open once the cooldown lets a trial through
    dashboard.emit({
      type: 'breaker-state',
      at: T0 + 2,
      service: 'users',
      target: 'http://127.0.0.1:8002',
      state: 'half-open',
    });
    expect(lineWith(await dashboard.frame(), '/api/users/*')).toContain(':8002 half-open');
  });

  it('shows a limit filling up and counting down to its reset', async () => {
    // Given a caller that has used 8 of 10
    dashboard = renderDashboardUnderTest();
    dashboard.emit(limitChecked({ remaining: 2, resetMs: 50_000 }));
    expect(lineWith(await dashboard.frame(), 'mobile-app')).toMatch(
      /mobile-app\s+orders\s+10 per 1m\s+8\/10\s+2\s+50 s\s+0/,
    );

    // When it uses the rest and is refused once, 8 s later
    dashboard.advance(8000);
    dashboard.emit(
      limitChecked({ at: T0 + 8000, remaining: 1, resetMs: 42_000 }),
      limitChecked({ at: T0 + 8000, remaining: 0, resetMs: 42_000 }),
      limitChecked({ at: T0 + 8000, remaining: 0, resetMs: 42_000, allowed: false }),
    );

    // Then it is full with one refusal, resetting in 42 s
    expect(lineWith(await dashboard.frame(), 'mobile-app')).toMatch(/10\/10\s+0\s+42 s\s+1/);

    // And the countdown moves with the clock
    dashboard.advance(10_000);
    expect(lineWith(await dashboard.frame(), 'mobile-app')).toMatch(/10\/10\s+0\s+32 s\s+1/);

    // And once the window resets the caller leaves the list (but the refusal stays counted)
    dashboard.advance(33_000);
    expect(lineWith(await dashboard.frame(), 'mobile-app')).toMatch(/0\/10\s+10\s+reset\s+1/);
  });

  it("explains a 429 in the request's detail view", async () => {
    // Given a refused request
    dashboard = renderDashboardUnderTest();
    dashboard.emit(
      limitChecked({ remaining: 0, resetMs: 42_000, allowed: false }),
      finished({
        id: 'req-429',
        path: '/api/orders/7',
        routeId: 'orders',
        status: 429,
        durationMs: 0.4,
        upstreamMs: undefined,
        target: undefined,
        caller: 'mobile-app',
        outcome: {
          limited: true,
          answeredBy: 'rate-limit',
          reason: 'mobile-app used 10/10 of 10 per 1m, resets in 42 s',
        },
        requestHeaders: { 'x-api-key': '[redacted]', accept: 'application/json' },
        responseHeaders: { 'retry-after': '42', 'ratelimit-policy': '10;w=60' },
      }),
    );
    await dashboard.frame();

    // When it is selected and opened
    const detail = await dashboard.press(keys.down, keys.enter);

    // Then the detail says which policy answered and why, the route, the timings and headers
    expect(detail).toContain('GET /api/orders/7 → 429 Too Many Requests');
    expect(detail).toContain(
      'answered by the rate-limit policy · 429: mobile-app used 10/10 of 10 per 1m, resets in 42 s',
    );
    expect(detail).toContain('orders: any method /api/orders/* matched GET /api/orders/7 → service orders');
    expect(detail).toContain('none (answered before the upstream)');
    expect(detail).toContain('total 0.4ms · all in the gateway (no upstream call)');
    expect(detail).toContain('WHAT GW ANSWERED: 429 Too Many Requests');
    expect(detail).toContain('retry-after: 42');
    // And it says nothing went upstream, instead of listing headers "as sent upstream"
    expect(detail).toContain('WHAT WENT UPSTREAM: not sent upstream');
    expect(detail).not.toContain('x-api-key: [redacted]');

    // And Esc goes back to the list
    expect(await dashboard.press(keys.escape)).toContain('REQUESTS');
  });

  it('explains a 429 from the limit it hit when the event carries no reason', async () => {
    // Given a refusal whose event names the policy but not why
    dashboard = renderDashboardUnderTest();
    dashboard.emit(
      limitChecked({ remaining: 0, resetMs: 42_000, allowed: false }),
      finished({
        routeId: 'orders',
        status: 429,
        caller: 'mobile-app',
        outcome: { limited: true, answeredBy: 'rate-limit' },
      }),
    );
    await dashboard.frame();

    // When it is opened 2 s later
    dashboard.advance(2000);
    const detail = await dashboard.press(keys.enter);

    // Then the newest limit numbers explain it
    expect(detail).toContain(
      'the rate-limit policy · 429: mobile-app used 10/10 of 10 per 1m, resets in 40 s',
    );
  });

  it('draws no colour under NO_COLOR, and colours by status otherwise', async () => {
    const foreground = new RegExp(`${'\u001B'}\\[(3[0-7]|9[0-7])m`);
    const level = chalk.level;
    chalk.level = 1; // as on a colour terminal; the test runner's stdout is not one
    try {
      // Given a 503 in the list, When colours are off, Then no colour code is drawn
      dashboard = renderDashboardUnderTest({ colors: false });
      dashboard.emit(finished({ status: 503 }));
      const plain = await dashboard.rawFrame();
      expect(plain).toContain('503');
      expect(plain).not.toMatch(foreground);
      dashboard.unmount();

      // When colours are on, Then the status is red
      dashboard = renderDashboardUnderTest({ colors: true });
      dashboard.emit(finished({ status: 503 }));
      expect(await dashboard.rawFrame()).toContain('\u001B[31m503');
    } finally {
      chalk.level = level;
    }
  });
});
