import { describe, expect, it } from 'vitest';
import { createRetryBudget } from '../../src/proxy/resilience/retries-budget.js';
import { createRetryPolicy, IDEMPOTENT_METHODS } from '../../src/proxy/resilience/retries.js';
import { retriesSchema } from '../../src/proxy/resilience/retries-schema.js';
import { declaresBody } from '../../src/proxy/forward-headers.js';

describe('retry policy', () => {
  it('parses the documented shape with defaults', () => {
    expect(retriesSchema.parse({ attempts: 2 })).toEqual({
      attempts: 2,
      backoff: 25,
      budget: { ratio: 0.2, minRetries: 10, window: 10_000 },
    });
    expect(retriesSchema.parse({ budget: { window: '1m' } }).budget.window).toBe(60_000);
    expect(retriesSchema.safeParse({ attempt: 2 }).success).toBe(false);
  });

  it('retries only idempotent methods', () => {
    expect([...IDEMPOTENT_METHODS].sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PUT']);
  });

  it.each([
    { retry: 1, min: 12.5, max: 25 },
    { retry: 2, min: 25, max: 50 },
    { retry: 3, min: 50, max: 100 },
    { retry: 10, min: 500, max: 1000 },
  ])(
    'backs off between half and the whole of 25ms × 2^(retry−1), capped at 1s (retry $retry)',
    ({ retry, min, max }) => {
      const settings = retriesSchema.parse({ backoff: '25ms' });
      expect(createRetryPolicy(settings, () => 0).delay(retry)).toBe(min);
      expect(createRetryPolicy(settings, () => 1).delay(retry)).toBe(max);
    },
  );

  it.each([
    { headers: {}, body: false },
    { headers: { 'content-length': '0' }, body: false },
    { headers: { 'content-length': '5' }, body: true },
    { headers: { 'transfer-encoding': 'chunked' }, body: true },
  ])('sees a body from the framing headers: $headers', ({ headers, body }) => {
    expect(declaresBody(headers)).toBe(body);
  });
});

describe('retry budget (fake clock)', () => {
  it('allows minRetries per window however few requests there were', () => {
    const budget = createRetryBudget({ ratio: 0.2, minRetries: 3, window: 1000 });
    budget.noteRequest(0);
    expect([budget.spend(0), budget.spend(1), budget.spend(2), budget.spend(3)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(budget.allows(3)).toBe(false);
    // The window slides: spent retries expire.
    expect(budget.allows(1200)).toBe(true);
  });

  it('allows retries up to the ratio of requests when that is more', () => {
    const budget = createRetryBudget({ ratio: 0.2, minRetries: 0, window: 10_000 });
    for (let i = 0; i < 100; i++) budget.noteRequest(i);
    let spent = 0;
    while (budget.spend(100)) spent++;
    expect(spent).toBe(20);
  });
});
