import { afterEach, describe, expect, it } from 'vitest';
import type { RequestFinished } from '../../src/events/index.js';
import { T0, finished } from './events.js';
import { lineWith, renderDashboardUnderTest } from './harness.js';

type Harness = ReturnType<typeof renderDashboardUnderTest>;
let dashboard: Harness;
afterEach(() => dashboard.unmount());

const paths = Array.from({ length: 8 }, (_, i) => `/api/users/${i + 1}`);

function requestLines(frame: string): string[] {
  return paths.map((path) => lineWith(frame, `${path} `) ?? '').filter(Boolean);
}

describe('the dashboard in a terminal', () => {
  it('drops columns, not rows, on a narrow terminal and re-lays out on resize', async () => {
    // Given eight requests on a 60-column terminal
    dashboard = renderDashboardUnderTest({ terminal: { columns: 60, rows: 30 } });
    dashboard.emit(...paths.map((path, i) => finished({ id: `r${i}`, path, at: T0 + i, caller: 'web-app' })));
    const narrow = await dashboard.frame();

    // Then every line fits, every request is there, and the least important columns are gone
    for (const line of narrow.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    expect(requestLines(narrow)).toHaveLength(8);
    const narrowRouteHeader = lineWith(narrow, 'PATH') ?? '';
    expect(narrowRouteHeader).toContain('REQ/S');
    expect(narrowRouteHeader).toContain('TARGETS');
    expect(narrowRouteHeader).not.toContain('P99');
    expect(lineWith(narrow, 'LATENCY')).not.toContain('TARGET');

    // When the terminal widens
    const wide = await dashboard.resize(140, 30);

    // Then the dropped columns come back, with the same rows
    expect(lineWith(wide, 'REQ/S')).toContain('P99');
    expect(lineWith(wide, 'LATENCY')).toContain('TARGET');
    expect(lineWith(wide, 'LATENCY')).toContain('CALLER');
    expect(requestLines(wide)).toHaveLength(8);
  });

  it('shows as many requests as the terminal has rows for, newest first, without overflowing', async () => {
    dashboard = renderDashboardUnderTest({ terminal: { columns: 100, rows: 16 } });
    dashboard.emit(...paths.map((path, i) => finished({ id: `r${i}`, path, at: T0 + i })));
    const frame = await dashboard.frame();
    expect(frame.split('\n').length).toBeLessThan(16);
    expect(frame).toContain('/api/users/8 ');
    expect(frame).not.toContain('/api/users/1 ');
  });

  it('turns the keys off, and says so, when stdin is not a terminal', async () => {
    dashboard = renderDashboardUnderTest({ terminal: { columns: 100, rows: 30, stdinIsTTY: false } });
    const frame = await dashboard.press('q');
    expect(frame).toContain('keys are off: stdin is not a terminal');
    expect(dashboard.actions.quit).not.toHaveBeenCalled();
  });

  it('hands a crash in the view to onCrash and never to the code that emitted the event', async () => {
    dashboard = renderDashboardUnderTest();
    await dashboard.frame();
    // A malformed event (a bug somewhere upstream of the view) makes a component throw.
    const broken = { ...finished(), path: undefined } as unknown as RequestFinished;
    expect(() => dashboard.emit(broken)).not.toThrow();
    await dashboard.frame();
    expect(dashboard.onCrash).toHaveBeenCalledTimes(1);
    expect(dashboard.onCrash.mock.calls[0]?.[0]).toBeInstanceOf(TypeError);
  });
});
