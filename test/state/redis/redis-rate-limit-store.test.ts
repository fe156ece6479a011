import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStream } from '../../../src/events/event-stream.js';
import type { GatewayEvent } from '../../../src/events/gateway-events.js';
import { isGatewayError } from '../../../src/errors.js';
import { createMemoryRateLimitStore } from '../../../src/state/rate-limits/memory-rate-limit-store.js';
import { connectRedis, type RedisConnection } from '../../../src/state/redis/redis-client.js';
import { createRedisRateLimitStore } from '../../../src/state/rate-limits/redis-rate-limit-store.js';
import type { RateLimitDecision, RateLimitRule, RateLimitStore } from '../../../src/state/types.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis.js';

let redis: TestRedis;
let connection: RedisConnection;
let prefixes = 0;

beforeAll(async () => {
  redis = await startTestRedis();
  connection = await connectRedis({ url: redis.url });
});
afterAll(async () => {
  await connection?.close();
  await redis?.stop();
});

function fakeClock(start = 1_764_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** A store on a prefix of its own, so tests never see each other's counters. */
function redisStore(now?: () => number, onStoreError: 'allow' | 'deny' = 'allow') {
  const prefix = `t${++prefixes}:`;
  const store = createRedisRateLimitStore({ connection, prefix, onStoreError, ...(now ? { now } : {}) });
  return { store, prefix };
}

async function passes(store: RateLimitStore, key: string, rules: RateLimitRule[], n: number) {
  let allowed = 0;
  for (let i = 0; i < n; i++) if ((await store.consume(key, rules)).every((d) => d.allowed)) allowed++;
  return allowed;
}

const tenPerSecond: RateLimitRule = { limit: 10, windowMs: 1000 };

describe('Redis rate-limit store (GCRA in one Lua script)', () => {
  it('passes exactly the limit of 100 concurrent checks, on Redis server time', async () => {
    const { store } = redisStore();
    const results = await Promise.all(Array.from({ length: 100 }, () => store.consume('k', [tenPerSecond])));
    expect(results.filter(([d]) => d!.allowed)).toHaveLength(10);
  });

  it('makes the same decisions as the in-memory store, step for step', async () => {
    // The in-memory store's own tests run at this small clock too (see the next test for why).
    const clock = fakeClock(1_000_000);
    const memory = createMemoryRateLimitStore({ now: clock.now, sweepIntervalMs: 0 });
    const { store } = redisStore(clock.now);
    const ruleSets: RateLimitRule[][] = [
      [tenPerSecond],
      [
        { limit: 3, windowMs: 1000 },
        { limit: 5, windowMs: 60_000 },
      ],
      [{ limit: 7, windowMs: 1000 }],
    ];
    // A fixed pseudo-random walk: bursts, pauses and rule sets in a mix.
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let step = 0; step < 600; step++) {
      clock.advance(Math.floor(random() * 60));
      const rules = ruleSets[Math.floor(random() * ruleSets.length)]!;
      const key = `caller${Math.floor(random() * 3)}`;
      const [want, got] = await Promise.all([memory.consume(key, rules), store.consume(key, rules)]);
      expect(got.map(shape)).toEqual(want.map(shape));
      got.forEach((decision, i) => {
        expect(decision.resetMs).toBeCloseTo(want[i]!.resetMs, 3);
        expect(decision.retryAfterMs).toBeCloseTo(want[i]!.retryAfterMs, 3);
      });
    }
    await memory.close();
  });

  it('reports limit, remaining, reset and retry-after like the in-memory store', async () => {
    const clock = fakeClock();
    const { store } = redisStore(clock.now);
    const rule = { limit: 3, windowMs: 60_000 };
    expect((await store.consume('k', [rule]))[0]).toEqual({
      allowed: true,
      limit: 3,
      remaining: 2,
      resetMs: 20_000,
      retryAfterMs: 0,
    });
    await store.consume('k', [rule]);
    const third = (await store.consume('k', [rule]))[0]!;
    expect(third).toMatchObject({ allowed: true, remaining: 0 });
    expect(third.resetMs).toBeCloseTo(60_000);
    const refused = (await store.consume('k', [rule]))[0]!;
    expect(refused).toMatchObject({ allowed: false, remaining: 0 });
    expect(refused.retryAfterMs).toBeCloseTo(20_000);
    clock.advance(20_000);
    expect((await store.consume('k', [rule]))[0]!.allowed).toBe(true);
  });

  it('has no double burst at a window edge', async () => {
    const clock = fakeClock();
    const { store } = redisStore(clock.now);
    clock.advance(999);
    expect(await passes(store, 'k', [tenPerSecond], 10)).toBe(10);
    clock.advance(2);
    expect(await passes(store, 'k', [tenPerSecond], 10)).toBe(0);
    clock.advance(98);
    expect(await passes(store, 'k', [tenPerSecond], 10)).toBe(1);
  });

  it('admits the whole limit when window/limit is not a whole number', async () => {
    const { store } = redisStore(fakeClock().now);
    expect(await passes(store, 'k', [{ limit: 3, windowMs: 1000 }], 5)).toBe(3);
    expect(await passes(store, 'j', [{ limit: 7, windowMs: 1000 }], 20)).toBe(7);
  });

  it("admits exactly the limit at today's epoch, where float TATs would drift", async () => {
    const clock = fakeClock(1_795_820_631_964.123);
    const { store } = redisStore(clock.now);
    for (const limit of [3, 7, 11, 13, 49, 97, 997]) {
      expect(await passes(store, `k${limit}`, [{ limit, windowMs: 1000 }], limit + 3)).toBe(limit);
      // Plus 0.01 ms: the clock itself rounds at this magnitude (once, which is harmless).
      clock.advance(1000 / limit + 0.01);
      expect(await passes(store, `k${limit}`, [{ limit, windowMs: 1000 }], 3)).toBe(1);
    }
    const { store: real } = redisStore();
    expect(await passes(real, 'k', [{ limit: 7, windowMs: 60_000 }], 10)).toBe(7);
  });

  it('is all-or-nothing over several rules: a refused request writes nothing', async () => {
    const clock = fakeClock();
    const { store, prefix } = redisStore(clock.now);
    const perSecond = { limit: 2, windowMs: 1000 };
    const perHour = { limit: 3, windowMs: 3_600_000 };
    expect(await passes(store, 'k', [perSecond, perHour], 5)).toBe(2);
    const hourKey = `${prefix}rl:{k}:3/3600000`;
    const before = await connection.client.get(hourKey);
    const refused = await store.consume('k', [perSecond, perHour]);
    expect(refused.map((d) => d.allowed)).toEqual([false, true]);
    expect(refused[1]!.remaining).toBe(1);
    expect(await connection.client.get(hourKey)).toBe(before);
  });

  it('writes every counter with an expiry that ends when its budget is whole again', async () => {
    const { store, prefix } = redisStore();
    await store.consume('ttl', [tenPerSecond, { limit: 5, windowMs: 60_000 }]);
    const keys = await connection.client.keys(`${prefix}*`);
    expect(keys.sort()).toEqual([`${prefix}rl:{ttl}:10/1000`, `${prefix}rl:{ttl}:5/60000`]);
    const ttls = await Promise.all(keys.map((key) => connection.client.pttl(key)));
    expect(ttls.every((ttl) => ttl > 0 && ttl <= 12_000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await connection.client.exists(`${prefix}rl:{ttl}:10/1000`)).toBe(0);
  });
});

describe('Redis rate-limit store when Redis is gone', () => {
  it('applies onStoreError: allow passes as for a new caller, deny refuses with 503, one warning each', async () => {
    const own = await startTestRedis();
    const events = createEventStream();
    const seen: GatewayEvent[] = [];
    events.subscribe((event) => seen.push(event));
    const conn = await connectRedis({ url: own.url, events });
    try {
      const allow = createRedisRateLimitStore({ connection: conn, prefix: 'a:', onStoreError: 'allow' });
      const deny = createRedisRateLimitStore({ connection: conn, prefix: 'd:', onStoreError: 'deny' });
      await own.kill();
      const rule = { limit: 2, windowMs: 1000 };
      for (let i = 0; i < 5; i++) {
        const [decision] = await allow.consume('k', [rule]);
        expect(decision).toMatchObject({ allowed: true, limit: 2, remaining: 1 });
      }
      const refused = await deny.consume('k', [rule]).catch((error: unknown) => error);
      expect(isGatewayError(refused) && refused.code).toBe('GW_STORE_UNAVAILABLE');
      expect(isGatewayError(refused) && refused.status).toBe(503);
      const warnings = seen.filter((e) => e.type === 'store-warning');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.type === 'store-warning' && warnings[0]!.message).toContain(own.url);

      await own.restart();
      await waitUntil(async () => (await allow.consume('fresh', [rule]))[0]!.remaining === 1 && conn.ready());
      expect(await passes(allow, 'after', [rule], 5)).toBe(2);
      expect(seen.filter((e) => e.type === 'store-warning').at(-1)).toMatchObject({
        message: expect.stringContaining('is back'),
      });
    } finally {
      await conn.close();
      await own.stop();
    }
  });
});

describe('Redis rate-limit store when Redis hangs', () => {
  it('gives up after the command timeout and applies onStoreError, then limits again', async () => {
    const own = await startTestRedis();
    const events = createEventStream();
    const seen: GatewayEvent[] = [];
    events.subscribe((event) => seen.push(event));
    const conn = await connectRedis({ url: own.url, events });
    const store = createRedisRateLimitStore({ connection: conn, prefix: 'h:', onStoreError: 'allow' });
    const rule = { limit: 1, windowMs: 60_000 };
    try {
      expect((await store.consume('k', [rule]))[0]!.allowed).toBe(true);
      process.kill(own.pid!, 'SIGSTOP');
      const started = Date.now();
      expect((await store.consume('k', [rule]))[0]!.allowed).toBe(true);
      expect(Date.now() - started).toBeLessThan(3000);
      process.kill(own.pid!, 'SIGCONT');
      await waitUntil(async () => !(await store.consume('k', [rule]))[0]!.allowed);
      const messages = seen.flatMap((e) => (e.type === 'store-warning' ? [e.message] : []));
      expect(messages[0]).toContain('could not be checked');
      expect(messages.at(-1)).toContain('is back');
    } finally {
      if (own.pid) process.kill(own.pid, 'SIGCONT');
      await conn.close();
      await own.stop();
    }
  });
});

function shape(decision: RateLimitDecision) {
  return { allowed: decision.allowed, limit: decision.limit, remaining: decision.remaining };
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
