import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCachePolicy } from '../../src/middleware/cache/cache.js';
import { decideStore, readRequestDirectives } from '../../src/middleware/cache/cache-control.js';
import { canonicalQuery, routeFingerprint } from '../../src/middleware/cache/cache-key.js';
import { cacheStoreOf } from '../../src/middleware/cache/cache-store.js';
import { createMemoryCacheStore } from '../../src/state/cache/memory-cache-store.js';
import { compileRoute } from '../../src/pipeline/compile-route.js';
import type { GatewayContext, Identity, Middleware } from '../../src/pipeline/types.js';
import { createGatewayState } from '../../src/state/create-state.js';
import type { CachedResponse, GatewayState } from '../../src/state/types.js';
import { createTestBuild, createTestContext } from '../helpers/context.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function state(): Promise<GatewayState> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-cache-'));
  const created = await createGatewayState({ stateDir: dir, watch: false });
  cleanup.push(async () => {
    await created.close();
    await rm(dir, { recursive: true, force: true });
  });
  return created;
}

const variant = (bytes: number, ttlMs = 60_000): CachedResponse => ({
  status: 200,
  headers: {},
  body: Buffer.alloc(bytes),
  storedAt: Date.now(),
  expiresAt: Date.now() + ttlMs,
  initialAge: 0,
  vary: {},
});

describe('cache-control', () => {
  it.each([
    [{}, 30_000, false, 30_000],
    [{ 'cache-control': 'max-age=5' }, 30_000, false, 5_000],
    [{ 'cache-control': 'max-age=5, s-maxage=9' }, 30_000, false, 9_000],
    [{ 'cache-control': 'no-store' }, 30_000, false, 0],
    [{ 'cache-control': 'private' }, 30_000, false, 0],
    [{ 'cache-control': 'no-cache' }, 30_000, false, 0],
    [{ 'cache-control': 'max-age=0' }, 30_000, false, 0],
    [{ 'cache-control': 'max-age=junk' }, 30_000, false, 30_000],
    [{ 'set-cookie': ['a=1'] }, 30_000, false, 0],
    [{ vary: '*' }, 30_000, false, 0],
    [{}, 30_000, true, 0],
    [{ 'cache-control': 'public' }, 30_000, true, 30_000],
    [{ 'cache-control': 's-maxage=3' }, 30_000, true, 3_000],
  ] as const)('%o (ttl %d, unchecked credentials %s) → %d ms', (headers, ttl, foreign, expected) => {
    expect(decideStore(headers as never, ttl, foreign).ttlMs).toBe(expected);
  });

  it.each([
    [{}, { refresh: false, noStore: false }],
    [{ 'cache-control': 'no-cache' }, { refresh: true, noStore: false }],
    [{ 'cache-control': 'max-age=0' }, { refresh: true, noStore: false }],
    [{ 'cache-control': 'no-store' }, { refresh: true, noStore: true }],
    [{ pragma: 'no-cache' }, { refresh: true, noStore: false }],
  ])('client %o → %o', (headers, expected) => {
    expect(readRequestDirectives(headers)).toEqual(expected);
  });
});

describe('cache keys', () => {
  it('orders query parameters, keeping repeated ones in order', () => {
    expect(canonicalQuery('?b=2&a=1&a=0')).toBe('a=1&a=0&b=2');
    expect(canonicalQuery('')).toBe('');
    expect(canonicalQuery('?')).toBe('');
  });

  it('fingerprints routes by config, functions included', () => {
    const a = compileRoute({
      path: '/a',
      service: 's',
      websocket: false,
      cache: { ttl: 1000, vary: [], maxEntrySize: 1, statuses: [200] },
    } as never);
    const b = compileRoute({
      path: '/a',
      service: 's',
      websocket: false,
      cache: { ttl: 2000, vary: [], maxEntrySize: 1, statuses: [200] },
    } as never);
    const f1 = compileRoute({
      path: '/a',
      service: 's',
      websocket: false,
      rewrite: (p: string) => p,
    } as never);
    const f2 = compileRoute({
      path: '/a',
      service: 's',
      websocket: false,
      rewrite: (p: string) => p + '/',
    } as never);
    expect(routeFingerprint(a)).toBe(routeFingerprint(compileRoute(a.config)));
    expect(routeFingerprint(a)).not.toBe(routeFingerprint(b));
    expect(routeFingerprint(f1)).not.toBe(routeFingerprint(f2));
  });
});

describe('memory cache store', () => {
  it('evicts the least recently used keys once the total bytes pass maxSize', async () => {
    const store = createMemoryCacheStore({ maxSize: 10_000 });
    await store.set('a', [variant(4000)], 60_000);
    await store.set('b', [variant(4000)], 60_000);
    await store.get('a');
    await store.set('c', [variant(4000)], 60_000);
    expect(await store.get('a')).toHaveLength(1);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('c')).toHaveLength(1);
  });

  it('never keeps a key bigger than the whole store', async () => {
    const store = createMemoryCacheStore({ maxSize: 1000 });
    await store.set('huge', [variant(5000)], 60_000);
    expect(await store.get('huge')).toBeUndefined();
  });

  it('is kept in state across builds, and replaced when maxSize changes', async () => {
    const shared = await state();
    const first = cacheStoreOf(shared, 1000);
    expect(cacheStoreOf(shared, 1000)).toBe(first);
    expect(cacheStoreOf(shared, 2000)).not.toBe(first);
  });
});

describe('cache policy with a simulated caller', () => {
  // End to end, test/e2e/cache.test.ts uses real API keys; this pins the key alone.
  const identity = (id: string): Identity => ({ kind: 'apiKey', id, name: id, scopes: [] });

  async function setup(): Promise<{
    policy: Middleware;
    call(who: Identity | undefined): Promise<{ ctx: GatewayContext; upstreamCalls: number }>;
  }> {
    const { build, routes } = createTestBuild(
      { routes: [{ path: '/api/me', mock: { json: {} }, auth: 'apiKey', cache: { ttl: '1m' } }] },
      await state(),
    );
    const route = routes[0]!;
    const policy = createCachePolicy(route, build)!;
    let upstreamCalls = 0;
    return {
      policy,
      async call(who) {
        const ctx = createTestContext({ route });
        ctx.identity = who;
        await policy(ctx, async () => {
          upstreamCalls += 1;
          ctx.response = {
            status: 200,
            headers: { 'content-type': 'text/plain' },
            body: Buffer.from(`for ${who?.id}`),
          };
        });
        return { ctx, upstreamCalls };
      },
    };
  }

  it('keys entries by the verified caller', async () => {
    const { call } = await setup();
    await call(identity('alice'));
    await call(identity('bob'));
    const alice = await call(identity('alice'));
    expect(alice.ctx.response!.body.toString()).toBe('for alice');
    expect(alice.ctx.outcome.cache).toBe('HIT');
    const bob = await call(identity('bob'));
    expect(bob.ctx.response!.body.toString()).toBe('for bob');
    expect(bob.upstreamCalls).toBe(2);
  });

  it('never caches for an unidentified caller on an authenticated route', async () => {
    const { call } = await setup();
    await call(undefined);
    const again = await call(undefined);
    expect(again.upstreamCalls).toBe(2);
    expect(again.ctx.outcome.cache).toBeUndefined();
  });
});
