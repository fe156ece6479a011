import { describe, expect, it } from 'vitest';
import { createMemoryRateLimitStore } from '../../../src/state/rate-limits/memory-rate-limit-store.js';
import type { RateLimitRule } from '../../../src/state/types.js';

function fakeClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms), set: (ms: number) => (t = ms) };
}

const tenPerSecond: RateLimitRule = { limit: 10, windowMs: 1000 };

async function passes(
  store: ReturnType<typeof createMemoryRateLimitStore>,
  key: string,
  rules: RateLimitRule[],
  n: number,
) {
  let allowed = 0;
  for (let i = 0; i < n; i++) if ((await store.consume(key, rules)).every((d) => d.allowed)) allowed++;
  return allowed;
}

describe('memory rate-limit store (GCRA)', () => {
  it('passes exactly the limit of 100 concurrent checks', async () => {
    const clock = fakeClock();
    const store = createMemoryRateLimitStore({ now: clock.now, sweepIntervalMs: 0 });
    const results = await Promise.all(Array.from({ length: 100 }, () => store.consume('k', [tenPerSecond])));
    expect(results.filter(([d]) => d!.allowed)).toHaveLength(10);
    await store.close();
  });

  it('has no double burst at a window edge: a full burst just before it leaves nothing just after', async () => {
    const clock = fakeClock();
    const store = createMemoryRateLimitStore({ now: clock.now, sweepIntervalMs: 0 });
    clock.advance(999);
    expect(await passes(store, 'k', [tenPerSecond], 10)).toBe(10);
    clock.advance(2); // across what a fixed window would call a new window
    expect(await passes(store, 'k', [tenPerSecond], 10)).toBe(0);
    // The budget refills smoothly: one request per 100 ms.
    clock.advance(98);
    expect(await passes(store, 'k', [tenPerSecond], 10)).toBe(1);
    clock.advance(500);
    expect(await passes(store, 'k', [tenPerSecond], 10)).toBe(5);
    await store.close();
  });

  it('never passes more than limit + elapsed/interval over any span', async () => {
    const clock = fakeClock();
    const store = createMemoryRateLimitStore({ now: clock.now, sweepIntervalMs: 0 });
    let allowed = 0;
    // 3 seconds of a request every 7 ms: at most 10 + 3000/100 may pass.
    for (let t = 0; t < 3000; t += 7) {
      clock.set(1_000_000 + t);
      if ((await store.consume('k', [tenPerSecond]))[0]!.allowed) allowed++;
    }
    expect(allowed).toBeLessThanOrEqual(10 + 30);
    expect(allowed).toBeGreaterThanOrEqual(10 + 29);
    await store.close();
  });

  it('reports limit, remaining, reset and retry-after', async () => {
    const clock = fakeClock();
    const store = createMemoryRateLimitStore({ now: clock.now, sweepIntervalMs: 0 });
    const rule = { limit: 3, windowMs: 60_000 };
    const first = (await store.consume('k', [rule]))[0]!;
    expect(first).toEqual({ allowed: true, limit: 3, remaining: 2, resetMs: 20_000, retryAfterMs: 0 });
    await store.consume('k', [rule]);
    const third = (await store.consume('k', [rule]))[0]!;
    expect(third).toMatchObject({ allowed: true, remaining: 0 });
    expect(third.resetMs).toBeCloseTo(60_000);
    const refused = (await store.consume('k', [rule]))[0]!;
    expect(refused.allowed).toBe(false);
    expect(refused.remaining).toBe(0);
    expect(refused.retryAfterMs).toBeCloseTo(20_000);
    clock.advance(20_000);
    expect((await store.consume('k', [rule]))[0]!.allowed).toBe(true);
    await store.close();
  });

  it('admits the whole limit when window/limit is not a whole number', async () => {
    const store = createMemoryRateLimitStore({ now: fakeClock().now, sweepIntervalMs: 0 });
    expect(await passes(store, 'k', [{ limit: 3, windowMs: 1000 }], 5)).toBe(3);
    expect(await passes(store, 'j', [{ limit: 7, windowMs: 1000 }], 20)).toBe(7);
    await store.close();
  });

  it('is all-or-nothing over several rules: a refused request spends nothing', async () => {
    const clock = fakeClock();
    const store = createMemoryRateLimitStore({ now: clock.now, sweepIntervalMs: 0 });
    const perSecond = { limit: 2, windowMs: 1000 };
    const perHour = { limit: 3, windowMs: 3_600_000 };
    expect(await passes(store, 'k', [perSecond, perHour], 5)).toBe(2);
    const refused = await store.consume('k', [perSecond, perHour]);
    expect(refused.map((d) => d.allowed)).toEqual([false, true]);
    expect(refused[1]!.remaining).toBe(1); // the hourly budget was not spent by refusals
    clock.advance(1000);
    expect(await passes(store, 'k', [perSecond, perHour], 5)).toBe(1);
    clock.advance(1000);
    expect(await passes(store, 'k', [perSecond, perHour], 5)).toBe(0);
    await store.close();
  });

  it('keeps each rule apart, so a changed limit starts fresh and an unchanged one keeps its count', async () => {
    const store = createMemoryRateLimitStore({ now: fakeClock().now, sweepIntervalMs: 0 });
    expect(await passes(store, 'route', [tenPerSecond], 10)).toBe(10);
    expect(await passes(store, 'route', [tenPerSecond], 1)).toBe(0);
    expect(await passes(store, 'route', [{ limit: 20, windowMs: 1000 }], 1)).toBe(1);
    await store.close();
  });

  it('holds 100k distinct callers in bounded memory and drops them once their budget is whole', async () => {
    const clock = fakeClock();
    const store = createMemoryRateLimitStore({ now: clock.now, sweepIntervalMs: 0, maxEntries: 200_000 });
    for (let i = 0; i < 100_000; i++) await store.consume(`ip:${i}`, [tenPerSecond]);
    expect(store.size).toBe(100_000);
    clock.advance(1000);
    expect(store.sweep()).toBe(100_000);
    expect(store.size).toBe(0);
    await store.close();
  });

  it('expires idle entries incrementally without a sweep', async () => {
    const clock = fakeClock();
    const store = createMemoryRateLimitStore({ now: clock.now, sweepIntervalMs: 0 });
    for (let i = 0; i < 1000; i++) await store.consume(`ip:${i}`, [tenPerSecond]);
    clock.advance(1000);
    for (let i = 0; i < 600; i++) await store.consume('steady', [{ limit: 1_000_000, windowMs: 1000 }]);
    expect(store.size).toBeLessThan(1000);
    await store.close();
  });

  it('never holds more than maxEntries', async () => {
    const store = createMemoryRateLimitStore({ now: fakeClock().now, sweepIntervalMs: 0, maxEntries: 1000 });
    for (let i = 0; i < 5000; i++) await store.consume(`ip:${i}`, [tenPerSecond]);
    expect(store.size).toBe(1000);
    await store.close();
  });
});
