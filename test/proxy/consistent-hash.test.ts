import { afterEach, describe, expect, it } from 'vitest';
import { createEventStream } from '../../src/events/event-stream.js';
import { buildRing, VIRTUAL_NODES } from '../../src/proxy/balancers/consistent-hash.js';
import { hashString } from '../../src/proxy/balancers/hash-key.js';
import { createUpstreamRegistry } from '../../src/proxy/upstream-registry.js';
import type { Target, UpstreamPool, UpstreamRegistry } from '../../src/proxy/upstream-types.js';
import { pickInput, service } from './upstream-fixtures.js';

const fiveUrls = [7001, 7002, 7003, 7004, 7005].map((port) => `http://127.0.0.1:${port}`);
const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
let registries: UpstreamRegistry[] = [];
let clock = 0;

afterEach(() => {
  for (const registry of registries) registry.close();
  registries = [];
});

function poolOf(targets: string[], hash = 'header:x-user', previous?: UpstreamRegistry): UpstreamPool {
  const registry = createUpstreamRegistry(
    { svc: service({ targets, balance: { hash }, passiveHealth: { failures: 1, cooldown: 1_000 } }) },
    { events: createEventStream(), previous, now: () => clock },
  );
  registries.push(registry);
  return registry.get('svc')!;
}

function assign(pool: UpstreamPool): string[] {
  return keys.map((key) => pool.pick(pickInput({ headers: { 'x-user': key } }))!.key);
}

function moved(before: string[], after: string[]): number {
  return before.filter((key, i) => key !== after[i]).length;
}

describe('ring', () => {
  it(`places ${VIRTUAL_NODES} sorted points per target`, () => {
    const ring = buildRing(fiveUrls);
    expect(ring.points.length).toBe(5 * VIRTUAL_NODES);
    for (let i = 1; i < ring.points.length; i++)
      expect(ring.points[i]!).toBeGreaterThanOrEqual(ring.points[i - 1]!);
  });

  it('hashes strings to well-spread 32-bit values', () => {
    expect(hashString('a')).not.toBe(hashString('b'));
    expect(hashString('user-1')).toBe(hashString('user-1'));
    const buckets = new Array<number>(16).fill(0);
    for (const key of keys) buckets[hashString(key) >>> 28]!++;
    for (const count of buckets) expect(count).toBeGreaterThan(10_000 / 16 / 2);
  });
});

describe('remapping', () => {
  it('adding a fifth target moves about 1/5 of the keys, all of them to the new target', () => {
    const before = assign(poolOf(fiveUrls.slice(0, 4)));
    const after = assign(poolOf(fiveUrls));
    const count = moved(before, after);
    expect(count / keys.length).toBeGreaterThan(0.1);
    expect(count / keys.length).toBeLessThan(0.3);
    before.forEach((target, i) => {
      if (target !== after[i]) expect(after[i]).toBe(fiveUrls[4]);
    });
  });

  it("removing a target moves only that target's keys", () => {
    const before = assign(poolOf(fiveUrls));
    const after = assign(poolOf(fiveUrls.filter((url) => url !== fiveUrls[2])));
    before.forEach((target, i) => {
      if (target === fiveUrls[2]) expect(after[i]).not.toBe(fiveUrls[2]);
      else expect(after[i]).toBe(target);
    });
    const share = before.filter((target) => target === fiveUrls[2]).length / keys.length;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.3);
  });

  it("a down target's keys move to the next healthy targets and come back when it recovers", () => {
    clock = 0;
    const pool = poolOf(fiveUrls.slice(0, 4));
    const before = assign(pool);
    const down = pool.targets[1] as Target;
    pool.started(down);
    pool.finished(down, 'connect-failed');
    expect(down.healthy).toBe(false);
    const during = assign(pool);
    before.forEach((target, i) => {
      if (target === down.key) expect(during[i]).not.toBe(down.key);
      else expect(during[i]).toBe(target);
    });
    // After the cooldown one trial request decides; it succeeds and the keys return.
    clock = 1_000;
    const trial = pool.pick(pickInput({ headers: { 'x-user': keys[before.indexOf(down.key)]! } }))!;
    expect(trial).toBe(down);
    pool.started(trial);
    pool.finished(trial, 'ok');
    expect(assign(pool)).toEqual(before);
  });
});

describe('keys', () => {
  const cases = [
    {
      hash: 'ip',
      same: [{ clientIp: '10.0.0.7' }, { clientIp: '10.0.0.7', headers: { 'x-user': 'other' } }],
    },
    {
      hash: 'header:X-Tenant',
      same: [{ headers: { 'x-tenant': 'acme' } }, { headers: { 'x-tenant': 'acme' }, clientIp: '10.9.9.9' }],
    },
    {
      hash: 'cookie:sid',
      same: [
        { headers: { cookie: 'sid=abc' } },
        { headers: { cookie: 'theme=dark; sid=abc; xsid=zzz' }, clientIp: '10.9.9.9' },
      ],
    },
    {
      hash: 'cookie:sid',
      same: [{ clientIp: '10.2.2.2' }, { clientIp: '10.2.2.2', headers: { cookie: 'other=1' } }],
    },
    {
      hash: 'header:x-user',
      same: [{ clientIp: '10.3.3.3' }, { clientIp: '10.3.3.3', headers: { 'x-user': '' } }],
    },
  ];

  it.each(cases)('$hash keeps the same key on the same target, across rebuilds too', ({ hash, same }) => {
    const pool = poolOf(fiveUrls, hash);
    const rebuilt = poolOf(fiveUrls, hash, registries[0]);
    const chosen = same.map((input) => pool.pick(pickInput(input))!.key);
    for (let i = 0; i < 20; i++) expect(pool.pick(pickInput(same[0]!))!.key).toBe(chosen[0]);
    expect(chosen[1]).toBe(chosen[0]);
    expect(rebuilt.pick(pickInput(same[0]!))!.key).toBe(chosen[0]);
  });

  it('spreads different keys over every target', () => {
    const counts = new Map<string, number>();
    for (const key of assign(poolOf(fiveUrls))) counts.set(key, (counts.get(key) ?? 0) + 1);
    expect(counts.size).toBe(5);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(1_000);
      expect(count).toBeLessThan(3_000);
    }
  });
});
