import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { isGatewayError } from '../../../src/errors.js';
import { createGatewayState, openKeyStore, openSigningKeyStore } from '../../../src/state/create-state.js';
import { createRedisCacheStore } from '../../../src/state/cache/redis-cache-store.js';
import type { CachedResponse } from '../../../src/state/types.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis.js';

let redis: TestRedis;
let client: Redis;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  redis = await startTestRedis();
  client = new Redis(redis.url);
});
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

async function tempDir() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-redis-state-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const redisConfig = (state: Record<string, unknown>) =>
  resolveConfig({ state: { store: 'redis', ...state } });

async function connectedClients(): Promise<number> {
  return String(await client.client('LIST'))
    .trim()
    .split('\n').length;
}

describe('the state block', () => {
  it('defaults to memory, and names where Redis is when chosen', () => {
    expect(resolveConfig({}).state).toEqual({
      store: 'memory',
      url: 'redis://127.0.0.1:6379',
      prefix: 'gw:',
      onStoreError: 'allow',
      responseCache: 'shared',
    });
    expect(redisConfig({ url: 'redis://10.0.0.1:6380/2', onStoreError: 'deny' }).state).toMatchObject({
      store: 'redis',
      onStoreError: 'deny',
    });
  });

  it.each([
    [{ store: 'memcached' }, 'state.store'],
    [{ store: 'redis', url: 'http://127.0.0.1:6379' }, 'state.url'],
    [{ store: 'redis', onStoreError: 'retry' }, 'state.onStoreError'],
    [{ store: 'redis', urll: 'redis://x' }, 'state.urll'],
  ])('refuses %j naming %s', (state, field) => {
    let error: unknown;
    try {
      resolveConfig({ state });
    } catch (caught) {
      error = caught;
    }
    expect(isGatewayError(error) && error.code).toBe('GW_CONFIG_INVALID');
    expect(isGatewayError(error) && error.problems.map((p) => p.path)).toContain(field);
  });
});

describe('createGatewayState with state.store redis', () => {
  it('keeps limits, keys, signing keys and the response cache in Redis, and closes its connections', async () => {
    const baseline = await connectedClients();
    const stateDir = await tempDir();
    const state = await createGatewayState({
      config: redisConfig({ url: redis.url, prefix: 'cs1:' }),
      stateDir,
    });
    expect(await connectedClients()).toBe(baseline + 2); // commands, and pub/sub
    await state.limits.consume('route\u0000ip:1', [{ limit: 5, windowMs: 1000 }]);
    const { record } = await state.keys.create({ name: 'a', scopes: [] });
    await state.signingKeys.ensure();
    expect(state.responseCache).toBeDefined();
    expect((await client.keys('cs1:*')).sort()).toEqual([
      'cs1:keys',
      'cs1:rl:{route\u0000ip:1}:5/1000',
      'cs1:signing-keys',
    ]);
    expect(await client.hexists('cs1:keys', record.id)).toBe(1);
    await state.close();
    expect(await connectedClients()).toBe(baseline);
  });

  it('keeps the response cache in each process with responseCache: local', async () => {
    const state = await createGatewayState({
      config: redisConfig({ url: redis.url, prefix: 'cs2:', responseCache: 'local' }),
      stateDir: await tempDir(),
    });
    expect(state.responseCache).toBeUndefined();
    await state.close();
  });

  it('fails with GW_STORE_UNREACHABLE naming the URL when Redis is not there', async () => {
    const url = 'redis://127.0.0.1:1';
    const error = await createGatewayState({ config: redisConfig({ url }), stateDir: await tempDir() }).catch(
      (e: unknown) => e,
    );
    expect(isGatewayError(error) && error.code).toBe('GW_STORE_UNREACHABLE');
    expect((error as Error).message).toContain(url);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('does not print the password of a Redis URL', async () => {
    const error = await createGatewayState({
      config: redisConfig({ url: 'redis://user:hunter2@127.0.0.1:1' }),
      stateDir: await tempDir(),
    }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('redis://user:***@127.0.0.1:1');
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('opens the CLI stores on Redis when the state block names it', async () => {
    const stateDir = await tempDir();
    const state = { ...redisConfig({ url: redis.url, prefix: 'cs3:' }).state };
    const keys = await openKeyStore({ stateDir, state, watch: false });
    const { record } = await keys.create({ name: 'cli', scopes: ['x'] });
    await keys.close();
    const signing = await openSigningKeyStore({ stateDir, state, watch: false });
    const entry = await signing.rotate('EdDSA');
    await signing.close();
    const gateway = await createGatewayState({
      config: redisConfig({ url: redis.url, prefix: 'cs3:' }),
      stateDir,
    });
    expect((await gateway.keys.list()).map((r) => r.id)).toEqual([record.id]);
    expect(gateway.signingKeys.current()?.current).toBe(entry.kid);
    await gateway.close();
  });
});

describe('Redis response cache store', () => {
  const variant: CachedResponse = {
    status: 200,
    headers: { 'content-type': 'application/octet-stream', 'set-cookie': ['a=1', 'b=2'] },
    body: Buffer.from([0, 1, 2, 255, 254]),
    storedAt: 1,
    expiresAt: 2,
    initialAge: 0,
    vary: { accept: '' },
  };

  it('keeps binary bodies whole and every entry with its TTL', async () => {
    const store = createRedisCacheStore({ client, prefix: 'c1:' });
    await store.set('route\u0000/x', [variant], 5000);
    expect(await store.get('route\u0000/x')).toEqual([variant]);
    const ttl = await client.pttl('c1:cache:route\u0000/x');
    expect(ttl).toBeGreaterThan(4000);
    expect(ttl).toBeLessThanOrEqual(5000);
    await store.set('route\u0000/x', [], 5000);
    expect(await store.get('route\u0000/x')).toBeUndefined();
  });

  it('treats an unreadable entry as a miss', async () => {
    const store = createRedisCacheStore({ client, prefix: 'c2:' });
    await client.set('c2:cache:k', 'not json', 'PX', 5000);
    expect(await store.get('k')).toBeUndefined();
  });
});
