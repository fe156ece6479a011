import { describe, expect, it } from 'vitest';
import { createEventStream } from '../../src/events/event-stream.js';
import type { GatewayEvent } from '../../src/events/gateway-events.js';
import {
  ADMITTED,
  REFUSED,
  admit,
  createBreakerRecord,
  retryAfterMs,
  settle,
  type BreakerOutcome,
} from '../../src/proxy/resilience/circuit-breaker.js';
import { circuitBreakerSchema } from '../../src/proxy/resilience/circuit-breaker-schema.js';
import { RollingCounts } from '../../src/proxy/resilience/circuit-breaker-window.js';

function breaker(settings: Record<string, unknown> = {}) {
  const events = createEventStream();
  const states: string[] = [];
  events.subscribe((event: GatewayEvent) => {
    if (event.type === 'breaker-state') states.push(event.state);
  });
  const record = createBreakerRecord('orders', 'http://127.0.0.1:9', circuitBreakerSchema.parse(settings));
  /** One request at `now` that ends with `outcome`; returns whether it was let through. */
  const run = (now: number, outcome: BreakerOutcome) => {
    const ticket = admit(record, now, events);
    if (ticket === REFUSED) return false;
    settle(record, ticket, outcome, now, events);
    return true;
  };
  return { record, events, states, run };
}

describe('circuit breaker state machine (fake clock)', () => {
  it('parses the documented defaults', () => {
    expect(circuitBreakerSchema.parse({})).toEqual({
      failureThreshold: 5,
      cooldown: 30_000,
      halfOpenRequests: 1,
      window: 10_000,
      minimumRequests: 10,
    });
    expect(circuitBreakerSchema.parse({ cooldown: '200ms' }).cooldown).toBe(200);
    expect(circuitBreakerSchema.safeParse({ failureTreshold: 5 }).success).toBe(false);
  });

  it.each([
    { threshold: 1, failures: 1 },
    { threshold: 3, failures: 3 },
    { threshold: 5, failures: 5 },
  ])('opens after $threshold failures in a row', ({ threshold, failures }) => {
    const { record, states, run } = breaker({ failureThreshold: threshold });
    for (let i = 0; i < failures - 1; i++) run(0, 'failure');
    expect(record.state).toBe('closed');
    run(0, 'failure');
    expect(record.state).toBe('open');
    expect(states).toEqual(['open']);
  });

  it('refuses while open, tells how long to wait, then half-opens after the cooldown', () => {
    const { record, run, events, states } = breaker({ failureThreshold: 1, cooldown: 1000 });
    run(0, 'failure');
    expect(admit(record, 999, events)).toBe(REFUSED);
    expect(retryAfterMs(record, 400)).toBe(600);
    const probe = admit(record, 1000, events);
    expect(probe).toBeGreaterThan(0);
    expect(record.state).toBe('half-open');
    expect(admit(record, 1000, events)).toBe(REFUSED); // one probe at a time
    settle(record, probe, 'success', 1001, events);
    expect(record.state).toBe('closed');
    expect(admit(record, 1002, events)).toBe(ADMITTED);
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('re-opens on a failed probe for another full cooldown', () => {
    const { record, run, events } = breaker({ failureThreshold: 1, cooldown: 1000 });
    run(0, 'failure');
    run(1000, 'failure');
    expect(record.state).toBe('open');
    expect(admit(record, 1999, events)).toBe(REFUSED);
    expect(admit(record, 2000, events)).toBeGreaterThan(0);
  });

  it('needs every one of halfOpenRequests probes to succeed', () => {
    const { record, run, events } = breaker({ failureThreshold: 1, cooldown: 10, halfOpenRequests: 2 });
    run(0, 'failure');
    const a = admit(record, 10, events);
    const b = admit(record, 10, events);
    expect(admit(record, 10, events)).toBe(REFUSED);
    settle(record, a, 'success', 11, events);
    expect(record.state).toBe('half-open');
    settle(record, b, 'success', 11, events);
    expect(record.state).toBe('closed');
  });

  it('frees the probe slot of a cancelled probe, and ignores answers from an earlier episode', () => {
    const { record, run, events } = breaker({ failureThreshold: 1, cooldown: 10 });
    run(0, 'failure');
    const probe = admit(record, 10, events);
    settle(record, probe, 'cancel', 11, events);
    const next = admit(record, 12, events);
    expect(next).toBe(probe); // same half-open episode, slot free again
    settle(record, next, 'failure', 13, events); // re-open: a new episode
    settle(record, next, 'success', 14, events); // late duplicate: ignored
    expect(record.state).toBe('open');
    // A request admitted while closed that fails after the breaker opened changes nothing.
    const { record: other, events: otherEvents } = breaker({ failureThreshold: 1 });
    const early = admit(other, 0, otherEvents);
    const late = admit(other, 0, otherEvents);
    settle(other, early, 'failure', 1, otherEvents);
    const generation = other.generation;
    settle(other, late, 'failure', 2, otherEvents);
    expect(other.generation).toBe(generation);
  });

  it('resets the count on a success', () => {
    const { record, run } = breaker({ failureThreshold: 2 });
    run(0, 'failure');
    run(0, 'success');
    run(0, 'failure');
    expect(record.state).toBe('closed');
  });

  it('opens on a failure ratio once the window holds minimumRequests', () => {
    const { record, run } = breaker({
      failureThreshold: 100,
      failureRatio: 0.5,
      window: 10_000,
      minimumRequests: 4,
    });
    run(0, 'failure');
    run(1, 'failure');
    run(2, 'success');
    expect(record.state).toBe('closed'); // 3 requests: too few to judge
    run(3, 'success');
    run(4, 'failure'); // 3 of 5 failed
    expect(record.state).toBe('open');
  });

  it('forgets failures that slid out of the window', () => {
    const { record, run } = breaker({
      failureThreshold: 100,
      failureRatio: 0.5,
      window: 1000,
      minimumRequests: 2,
    });
    run(0, 'failure');
    run(2000, 'success');
    run(2001, 'success');
    run(2002, 'failure');
    expect(record.state).toBe('closed'); // 1 of 3 inside the window
  });
});

describe('RollingCounts', () => {
  it('sums over the window and drops whole buckets as time moves', () => {
    const counts = new RollingCounts(1000, 10);
    counts.add(0, 1, 0);
    counts.add(550, 1, 1);
    expect(counts.totals(999)).toEqual([2, 1]);
    expect(counts.totals(1050)).toEqual([1, 1]);
    expect(counts.totals(5000)).toEqual([0, 0]);
    counts.add(5000, 3, 2);
    counts.clear();
    expect(counts.totals(5001)).toEqual([0, 0]);
  });
});
