import { afterEach, describe, expect, it } from 'vitest';
import { createEventStream } from '../../src/events/event-stream.js';
import { createUpstreamRegistry } from '../../src/proxy/upstream-registry.js';
import type { Target, UpstreamPool, UpstreamRegistry } from '../../src/proxy/upstream-types.js';
import { pickInput, service } from './upstream-fixtures.js';

const urls = ['http://127.0.0.1:7001', 'http://127.0.0.1:7002', 'http://127.0.0.1:7003'];
let registries: UpstreamRegistry[] = [];

afterEach(() => {
  for (const registry of registries) registry.close();
  registries = [];
});

function poolOf(input: Parameters<typeof service>[0]): UpstreamPool {
  const registry = createUpstreamRegistry({ svc: service(input) }, { events: createEventStream() });
  registries.push(registry);
  return registry.get('svc')!;
}

function countPicks(pool: UpstreamPool, picks: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < picks; i++) {
    const target = pool.pick(pickInput({ clientIp: `10.0.${i >> 8}.${i & 255}` }))!;
    counts.set(target.key, (counts.get(target.key) ?? 0) + 1);
  }
  return counts;
}

/** Takes a target out the way the forwarder would: connect failures in a row. */
function failConnects(pool: UpstreamPool, target: Target, times = 3): void {
  for (let i = 0; i < times; i++) {
    pool.started(target);
    pool.finished(target, 'connect-failed');
  }
}

describe('distribution over 10k picks', () => {
  const cases = [
    {
      name: 'round-robin is exact',
      input: { targets: urls },
      expected: { [urls[0]!]: 3334, [urls[1]!]: 3333, [urls[2]!]: 3333 },
      tolerance: 0,
    },
    {
      name: 'weighted 5:3:2 is exact over whole cycles',
      input: {
        balance: 'weighted' as const,
        targets: [
          { url: urls[0]!, weight: 5 },
          { url: urls[1]!, weight: 3 },
          { url: urls[2]!, weight: 2 },
        ],
      },
      expected: { [urls[0]!]: 5000, [urls[1]!]: 3000, [urls[2]!]: 2000 },
      tolerance: 0,
    },
    {
      name: 'random is uniform within 10%',
      input: { balance: 'random' as const, targets: urls },
      expected: { [urls[0]!]: 3333, [urls[1]!]: 3333, [urls[2]!]: 3333 },
      tolerance: 333,
    },
    {
      name: 'least-connections with idle targets rotates evenly',
      input: { balance: 'least-connections' as const, targets: urls },
      expected: { [urls[0]!]: 3334, [urls[1]!]: 3333, [urls[2]!]: 3333 },
      tolerance: 0,
    },
    {
      name: 'hash by ip spreads distinct clients over every target',
      input: { balance: { hash: 'ip' }, targets: urls },
      expected: { [urls[0]!]: 3333, [urls[1]!]: 3333, [urls[2]!]: 3333 },
      tolerance: 1200,
    },
  ];

  it.each(cases)('$name', ({ input, expected, tolerance }) => {
    const counts = countPicks(poolOf(input), 10_000);
    for (const [url, share] of Object.entries(expected)) {
      expect(Math.abs((counts.get(url) ?? 0) - share), `${url}: ${counts.get(url)}`).toBeLessThanOrEqual(
        tolerance,
      );
    }
  });
});

describe('order', () => {
  it('round-robin goes through the targets in turn', () => {
    const pool = poolOf({ targets: urls });
    const order = Array.from({ length: 6 }, () => pool.pick(pickInput())!.key);
    expect(order).toEqual([...urls, ...urls]);
  });

  it('weighted interleaves smoothly like nginx (5,1,1 → a a b a c a a)', () => {
    const pool = poolOf({
      balance: 'weighted',
      targets: [
        { url: urls[0]!, weight: 5 },
        { url: urls[1]!, weight: 1 },
        { url: urls[2]!, weight: 1 },
      ],
    });
    const letters = Array.from({ length: 14 }, () => 'abc'[urls.indexOf(pool.pick(pickInput())!.key)]).join(
      '',
    );
    expect(letters).toBe('aabacaa'.repeat(2));
  });

  it('weighted keeps proportions when the weights have a common divisor or are large', () => {
    const pool = poolOf({
      balance: 'weighted',
      targets: [
        { url: urls[0]!, weight: 40_000 },
        { url: urls[1]!, weight: 20_000 },
      ],
    });
    const counts = countPicks(pool, 3_000);
    expect(counts.get(urls[0]!)).toBe(2_000);
    expect(counts.get(urls[1]!)).toBe(1_000);
  });
});

describe('least-connections', () => {
  it('prefers the target with the fewest requests in flight', () => {
    const pool = poolOf({ balance: 'least-connections', targets: urls });
    const [a, b, c] = pool.targets as [Target, Target, Target];
    pool.started(a);
    pool.started(a);
    pool.started(b);
    expect(pool.pick(pickInput())).toBe(c);
    pool.started(c);
    // b and c tie at one in flight: they alternate, a (two in flight) is never chosen.
    const picks = Array.from({ length: 4 }, () => pool.pick(pickInput())!.key);
    expect(new Set(picks)).toEqual(new Set([b.key, c.key]));
    expect(picks[0]).not.toBe(picks[1]);
    pool.finished(a, 'ok');
    pool.finished(a, 'ok');
    expect(pool.pick(pickInput())).toBe(a);
    expect(a.inFlight).toBe(0);
  });

  it('always picks a least-loaded target while requests start and finish out of order', () => {
    const pool = poolOf({ balance: 'least-connections', targets: urls });
    const running: Target[] = [];
    for (let i = 0; i < 1_000; i++) {
      const target = pool.pick(pickInput())!;
      expect(target.inFlight).toBe(Math.min(...pool.targets.map((t) => t.inFlight)));
      pool.started(target);
      running.push(target);
      // Finish pseudo-random earlier requests, often enough that load goes up and down.
      if (i % 2 === 0) pool.finished(running.splice((i * 7) % running.length, 1)[0]!, 'ok');
    }
    for (const target of running) pool.finished(target, 'ok');
    expect(pool.targets.map((t) => t.inFlight)).toEqual([0, 0, 0]);
  });
});

describe('health and exclude, for every balancer', () => {
  const balances = [
    'round-robin',
    'weighted',
    'least-connections',
    'random',
    { hash: 'ip' },
    { hash: 'header:x-user' },
    { hash: 'cookie:sid' },
  ] as const;

  it.each(balances.map((balance) => ({ balance, label: JSON.stringify(balance) })))(
    '$label picks only healthy targets and undefined when none is',
    ({ balance }) => {
      const pool = poolOf({ balance, targets: urls });
      const [a, b, c] = pool.targets as [Target, Target, Target];
      failConnects(pool, b);
      expect(b.healthy).toBe(false);
      const counts = countPicks(pool, 300);
      expect(counts.has(b.key)).toBe(false);
      failConnects(pool, a);
      failConnects(pool, c);
      expect(pool.pick(pickInput())).toBeUndefined();
    },
  );

  it.each(balances.map((balance) => ({ balance, label: JSON.stringify(balance) })))(
    '$label avoids excluded targets while another is healthy',
    ({ balance }) => {
      const pool = poolOf({ balance, targets: urls });
      const [a, b, c] = pool.targets as [Target, Target, Target];
      for (let i = 0; i < 300; i++) {
        const input = pickInput({
          clientIp: `10.1.0.${i}`,
          headers: { 'x-user': `u${i}`, cookie: `sid=s${i}` },
        });
        const first = pool.pick(input)!;
        const retry = pool.pick({ ...input, exclude: new Set([first.key]) })!;
        expect(retry.key).not.toBe(first.key);
        expect(pool.pick({ ...input, exclude: new Set([a.key, b.key]) })).toBe(c);
        // Everything tried already: a healthy target is still better than no answer.
        expect(pool.pick({ ...input, exclude: new Set([a.key, b.key, c.key]) })).toBeDefined();
      }
    },
  );
});
