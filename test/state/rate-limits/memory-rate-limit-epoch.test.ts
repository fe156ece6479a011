import { describe, expect, it } from 'vitest';
import { createMemoryRateLimitStore } from '../../../src/state/rate-limits/memory-rate-limit-store.js';

// At today's epoch a double's step is ~2e-4 ms; limits whose interval is not a whole number of
// milliseconds must still pass exactly `limit` requests in a burst.
describe('memory rate-limit store at a real epoch', () => {
  it.each([3, 7, 11, 13, 49, 97, 997])('passes exactly %i of a burst of twice as many', async (limit) => {
    const t = Date.now();
    const store = createMemoryRateLimitStore({ now: () => t, sweepIntervalMs: 0 });
    let passed = 0;
    for (let i = 0; i < limit * 2; i++)
      if ((await store.consume('k', [{ limit, windowMs: 1000 }]))[0]!.allowed) passed++;
    expect(passed).toBe(limit);
  });
});
