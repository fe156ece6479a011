import { afterEach, describe, expect, it } from 'vitest';
import { shortcuts } from '../../src/dashboard/shortcuts.js';
import { finished } from './events.js';
import { keys, lineWith, renderDashboardUnderTest, type DashboardUnderTest } from './harness.js';

let dashboard: DashboardUnderTest;
afterEach(() => dashboard.unmount());

describe('keys do what the help says', () => {
  it('? shows every shortcut from the table, and ? again hides it', async () => {
    dashboard = renderDashboardUnderTest();
    const help = await dashboard.press('?');
    for (const shortcut of shortcuts)
      expect(help).toContain(`${shortcut.keys.padEnd(10)}${shortcut.description}`);
    expect(await dashboard.press('?')).toContain('REQUESTS');
  });

  it('p pauses the live list while the counters go on, and p resumes it', async () => {
    dashboard = renderDashboardUnderTest();
    dashboard.emit(finished({ id: 'a', path: '/api/users/before' }));
    await dashboard.frame();

    const paused = await dashboard.press('p');
    expect(paused).toContain('⏸ PAUSED');
    dashboard.emit(finished({ id: 'b', path: '/api/users/during' }));
    const stillPaused = await dashboard.frame();
    expect(stillPaused).toContain('/api/users/before');
    expect(stillPaused).not.toContain('/api/users/during');

    const resumed = await dashboard.press('p');
    expect(resumed).not.toContain('PAUSED');
    expect(resumed).toContain('/api/users/during');
  });

  it('c clears the live list', async () => {
    dashboard = renderDashboardUnderTest();
    dashboard.emit(finished({ path: '/api/users/1' }), finished({ path: '/api/users/2' }));
    expect(await dashboard.frame()).toContain('/api/users/2');
    const cleared = await dashboard.press('c');
    expect(cleared).not.toContain('/api/users/1');
    expect(cleared).toContain('waiting for requests…');
  });

  it('/ filters by status, path or caller; Esc clears the filter', async () => {
    dashboard = renderDashboardUnderTest();
    dashboard.emit(
      finished({ path: '/api/users/ok', status: 200 }),
      finished({ path: '/api/orders/broken', status: 502, routeId: 'orders' }),
      finished({ path: '/api/users/mine', status: 200, caller: 'mobile-app' }),
    );
    await dashboard.frame();

    const typing = await dashboard.press('/', '5', 'x', 'x');
    expect(typing).toContain('/ filter: 5xx');
    const byStatus = await dashboard.press(keys.enter);
    expect(byStatus).toContain('/api/orders/broken');
    expect(byStatus).not.toContain('/api/users/ok');
    expect(byStatus).toContain('filter: 5xx');

    await dashboard.press('/', keys.backspace, keys.backspace, keys.backspace, ...'mobile');
    const byCaller = await dashboard.press(keys.enter);
    expect(byCaller).toContain('/api/users/mine');
    expect(byCaller).not.toContain('/api/orders/broken');

    // While typing, letters are text, not shortcuts (q does not quit)
    await dashboard.press('/', 'q');
    expect(dashboard.actions.quit).not.toHaveBeenCalled();

    const cleared = await dashboard.press(keys.escape);
    expect(cleared).toContain('/api/users/ok');
    expect(cleared).not.toContain('filter:');
  });

  it('↑/↓ move the selection and Enter opens the selected request', async () => {
    dashboard = renderDashboardUnderTest();
    dashboard.emit(
      finished({ id: 'older', path: '/api/users/older' }),
      finished({ id: 'newer', path: '/api/users/newer' }),
    );
    await dashboard.frame();
    expect(lineWith(await dashboard.press(keys.down), '›')).toContain('/api/users/newer');
    expect(lineWith(await dashboard.press(keys.down), '›')).toContain('/api/users/older');
    expect(await dashboard.press(keys.enter)).toContain('GET /api/users/older → 200 OK');
    expect(await dashboard.press(keys.up)).toContain('GET /api/users/newer → 200 OK');
  });

  it('r asks for a reload', async () => {
    dashboard = renderDashboardUnderTest();
    expect(await dashboard.press('r')).toContain('reload requested');
    expect(dashboard.actions.reload).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['q', 'q'],
    ['Ctrl-C', keys.ctrlC],
  ])('%s quits through the gateway (once), which lets in-flight requests finish', async (_name, key) => {
    dashboard = renderDashboardUnderTest();
    const frame = await dashboard.press(key, key);
    expect(dashboard.actions.quit).toHaveBeenCalledTimes(1);
    expect(frame).toContain('quitting: in-flight requests finish first');
  });
});
