import { describe, expect, it } from 'vitest';
import { fitColumns, type ColumnSpec } from '../../src/dashboard/fit-columns.js';
import {
  fitText,
  formatCountdown,
  formatLatency,
  formatSparkline,
  formatTarget,
} from '../../src/dashboard/format.js';
import { planLayout } from '../../src/dashboard/plan-layout.js';

const columns: ColumnSpec[] = [
  { id: 'method', title: 'METHOD', width: 6, priority: 1 },
  { id: 'path', title: 'PATH', width: 10, priority: 0, grow: 1, maxWidth: 20 },
  { id: 'status', title: 'STS', width: 3, priority: 0 },
  { id: 'caller', title: 'CALLER', width: 10, priority: 3 },
  { id: 'time', title: 'TIME', width: 8, priority: 2 },
];

describe('fitColumns', () => {
  it.each([
    [80, ['method', 'path', 'status', 'caller', 'time']],
    [41, ['method', 'path', 'status', 'caller', 'time']],
    [40, ['method', 'path', 'status', 'time']],
    [30, ['method', 'path', 'status', 'time']],
    [29, ['method', 'path', 'status']],
    [14, ['path', 'status']],
  ])('at %i columns keeps %j, in their order', (width, ids) => {
    const fitted = fitColumns(columns, width);
    expect(fitted.map((column) => column.id)).toEqual(ids);
    const used = fitted.reduce((sum, column) => sum + column.size, 0) + fitted.length - 1;
    expect(used).toBeLessThanOrEqual(width);
  });

  it('gives spare width to growing columns up to their maximum', () => {
    const fitted = fitColumns(columns, 80);
    expect(fitted.find((column) => column.id === 'path')?.size).toBe(20);
  });
});

describe('planLayout', () => {
  it('never plans a frame as tall as the terminal', () => {
    for (const rows of [12, 24, 40, 80]) {
      const plan = planLayout({ rows, headerLines: 2, routes: 30, limits: 8 });
      const limitsHeight = plan.limitRows > 0 ? 2 + plan.limitRows : 0;
      const height = 2 + 1 + plan.routeRows + 2 + plan.liveRows + limitsHeight + 1;
      expect(height).toBeLessThan(rows);
    }
  });

  it('drops the limits before the requests on a short terminal', () => {
    expect(planLayout({ rows: 12, headerLines: 2, routes: 3, limits: 4 }).limitRows).toBe(0);
    expect(planLayout({ rows: 30, headerLines: 2, routes: 3, limits: 4 }).limitRows).toBeGreaterThan(0);
  });

  it('gives most rows to the live list and no more rows than there is data', () => {
    expect(planLayout({ rows: 40, headerLines: 2, routes: 3, limits: 0 })).toEqual({
      routeRows: 3,
      liveRows: 30,
      limitRows: 0,
      eventRows: 0,
    });
  });

  it('makes room for a few events once there are any, taken from the live list', () => {
    const plan = planLayout({ rows: 40, headerLines: 2, routes: 3, limits: 0, events: 10 });
    expect(plan).toMatchObject({ routeRows: 3, eventRows: 4 });
    expect(plan.liveRows).toBe(30 - 4 - 1);
    // A short terminal keeps its rows for requests.
    expect(planLayout({ rows: 12, headerLines: 2, routes: 3, limits: 0, events: 10 }).eventRows).toBe(0);
  });
});

describe('formatters', () => {
  it.each([
    [0.42, '0.4ms'],
    [12.4, '12ms'],
    [1530, '1.5s'],
    [undefined, '—'],
  ])('formatLatency(%s) → %s', (ms, text) => expect(formatLatency(ms)).toBe(text));

  it.each([
    [42_000, '42 s'],
    [41_001, '42 s'],
    [90_000, '1m 30s'],
  ])('formatCountdown(%i) → %s', (ms, text) => expect(formatCountdown(ms)).toBe(text));

  it('draws a sparkline scaled to the busiest second, summing seconds to fit the width', () => {
    expect(formatSparkline([0, 1, 2, 4], 4)).toBe('▁▃▅█');
    expect(formatSparkline([1, 1, 2, 2], 2)).toBe('▅█');
    expect(formatSparkline([0, 0], 2)).toBe('▁▁');
  });

  it('shortens local targets to their port', () => {
    expect(formatTarget('http://127.0.0.1:8001')).toBe(':8001');
    expect(formatTarget('http://127.0.0.1:8001/v1')).toBe(':8001/v1');
    expect(formatTarget('http://users.internal:80')).toBe('users.internal');
    expect(formatTarget('http://users.internal:8080')).toBe('users.internal:8080');
  });

  it('cuts text with an ellipsis and aligns it', () => {
    expect(fitText('/api/users/42', 8)).toBe('/api/us…');
    expect(fitText('42', 4, 'right')).toBe('  42');
  });
});
