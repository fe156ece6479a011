import { afterEach, describe, expect, it } from 'vitest';
import { configLoaded, finished, limitChecked } from './events.js';
import { lineWith, renderDashboardUnderTest } from './harness.js';

type Dashboard = ReturnType<typeof renderDashboardUnderTest>;
let dashboard: Dashboard;
afterEach(() => dashboard.unmount());

/**
 * At 80×24 (the smallest terminal people open) the limits table still shows each limit's numbers
 * whole: the window, used/limit, what is left and when it resets (issue 15: they were cut off).
 * Route ids are what gw emits for routes without a name: methods, host and path.
 */
describe('the limits table at 80×24', () => {
  it('shows the window, used/limit, remaining and reset of every caller, uncut', async () => {
    // Given an 80×24 terminal with live requests and two callers near limits of long route ids
    dashboard = renderDashboardUnderTest({ terminal: { columns: 80, rows: 24 } });
    dashboard.emit(
      configLoaded(),
      ...Array.from({ length: 30 }, (_, i) => finished({ id: `r${i}` })),
      limitChecked({
        routeId: 'GET,POST /api/users/:userId',
        caller: 'mobile-app',
        policy: '100 per 1m',
        limit: 100,
        remaining: 7,
        resetMs: 42_000,
      }),
      limitChecked({
        routeId: '* api.localhost/billing/invoices/*',
        caller: 'partner-dashboard',
        policy: '5000 per 1h',
        limit: 5000,
        remaining: 120,
        resetMs: 3_000_000,
        allowed: false,
      }),
    );
    const frame = await dashboard.frame();

    // Then every line fits in 80 columns
    for (const line of frame.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    // And each caller's row has its window and numbers whole (the route id may be cut)
    expect(lineWith(frame, 'mobile-app')).toMatch(
      / GET,POST \/api\/\S*\s+100 per 1m\s+93\/100\s+7\s+42 s\s+0$/,
    );
    expect(lineWith(frame, 'partner-')).toMatch(
      / \* api\.\S*\s+5000 per 1h\s+4880\/5000\s+120\s+50m 00s\s+1$/,
    );
  });
});
