import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../../src/errors.js';
import { connectRedis, type RedisConnection } from '../../../src/state/redis/redis-client.js';
import { createRedisKeyStore } from '../../../src/state/keys/redis-key-store.js';
import { createRedisSigningKeyStore } from '../../../src/state/signing-keys/redis-signing-key-store.js';
import type { KeyStore, SigningKeyStore } from '../../../src/state/types.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis.js';
import { waitFor } from '../../helpers/upstream.js';

let redis: TestRedis;
let prefixes = 0;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  redis = await startTestRedis();
});
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});
afterAll(async () => {
  await redis?.stop();
});

/** Two "instances": each with its own connections, both following changes. */
async function twoInstances<T extends KeyStore | SigningKeyStore>(
  open: (connection: RedisConnection, prefix: string) => Promise<T>,
): Promise<{ a: T; b: T; prefix: string; connection: RedisConnection }> {
  const prefix = `k${++prefixes}:`;
  const stores: T[] = [];
  let first: RedisConnection | undefined;
  for (let i = 0; i < 2; i++) {
    const connection = await connectRedis({ url: redis.url, subscribe: true });
    first ??= connection;
    const store = await open(connection, prefix);
    stores.push(store);
    cleanup.push(async () => {
      await store.close();
      await connection.close();
    });
  }
  return { a: stores[0]!, b: stores[1]!, prefix, connection: first! };
}

const openKeys = (connection: RedisConnection, prefix: string) =>
  createRedisKeyStore({ connection, prefix, watch: true });
const openSigning = (connection: RedisConnection, prefix: string) =>
  createRedisSigningKeyStore({ connection, prefix, watch: true });

describe('Redis key store', () => {
  it('stores only a hash; a key created on one instance is found on the other', async () => {
    const { a, b, prefix, connection } = await twoInstances(openKeys);
    const { key, record } = await a.create({ name: 'mobile', scopes: ['users:read'] });
    const stored = await connection.client.hget(`${prefix}keys`, record.id);
    expect(stored).not.toContain(key);
    expect(JSON.parse(stored!)).toMatchObject({ id: record.id, name: 'mobile', hash: record.hash });
    expect(a.find(key)).toMatchObject({ ok: true, record: { id: record.id } });
    await waitFor(() => b.find(key).ok, 1000);
  });

  it('refuses a key revoked on another instance within a second', async () => {
    const { a, b } = await twoInstances(openKeys);
    const { key, record } = await a.create({ name: 'ci', scopes: [] });
    await waitFor(() => b.find(key).ok, 1000);
    const revoked = await b.revoke(record.id);
    expect(revoked.revokedAt).toBeDefined();
    const started = Date.now();
    await waitFor(() => !a.find(key).ok, 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(a.find(key)).toEqual({ ok: false, reason: 'revoked' });
    // Revoking twice keeps the first time.
    expect((await a.revoke(record.id)).revokedAt).toBe(revoked.revokedAt);
  });

  it('lists keys with their revocation and last use; an unknown id is GW_KEY_NOT_FOUND and writes nothing', async () => {
    const { a, b, prefix, connection } = await twoInstances(openKeys);
    const one = await a.create({
      name: 'one',
      scopes: ['x'],
      tier: 'gold',
      expiresAt: new Date(Date.now() + 60_000),
    });
    const two = await a.create({ name: 'two', scopes: [] });
    await a.revoke(two.record.id);
    a.touch(one.record.id);
    await a.close(); // flushes usage
    // Both were created within the same millisecond, perhaps: order by name here.
    const listed = (await b.list()).sort((x, y) => x.name.localeCompare(y.name));
    expect(listed.map((r) => r.name)).toEqual(['one', 'two']);
    expect(listed[0]).toMatchObject({ tier: 'gold', scopes: ['x'], lastUsedAt: expect.any(String) });
    expect(listed[0]!.revokedAt).toBeUndefined();
    expect(listed[1]!.revokedAt).toBeDefined();
    const error = await b.revoke('key_nope').catch((e: unknown) => e);
    expect(isGatewayError(error) && error.code).toBe('GW_KEY_NOT_FOUND');
    expect(await connection.client.hexists(`${prefix}keys:revoked`, 'key_nope')).toBe(0);
  });

  it('finds an expired key as expired', async () => {
    const { a } = await twoInstances(openKeys);
    const { key } = await a.create({ name: 'soon', scopes: [], expiresAt: new Date(Date.now() + 50) });
    expect(a.find(key).ok).toBe(true);
    await waitFor(() => !a.find(key).ok, 2000);
    expect(a.find(key)).toEqual({ ok: false, reason: 'expired' });
  });
});

describe('Redis key store across a Redis restart', () => {
  it('follows changes again once Redis is back, including one made while a gateway was away', async () => {
    const own = await startTestRedis();
    cleanup.push(() => own.stop());
    const open = async () => {
      const connection = await connectRedis({ url: own.url, subscribe: true });
      const store = await createRedisKeyStore({ connection, prefix: 'r:', watch: true });
      cleanup.push(async () => {
        await store.close();
        await connection.close();
      });
      return { connection, store };
    };
    const a = await open();
    const b = await open();
    await own.kill();
    await own.restart();
    // Written as soon as one connection is back: the other may miss the message, not the key.
    // Reconnecting waits out the client's backoff and a restarting redis-server: under the whole
    // suite's load (the bulk-transfer heap tests run beside it) that took over 5 s twice.
    await waitFor(() => a.connection.ready(), 15_000);
    const early = await a.store.create({ name: 'early', scopes: [] });
    await waitFor(() => b.store.find(early.key).ok, 5000);
    await waitFor(() => b.connection.ready(), 15_000);
    const late = await a.store.create({ name: 'late', scopes: [] });
    await waitFor(() => b.store.find(late.key).ok, 1000);
    await b.store.revoke(late.record.id);
    await waitFor(() => !a.store.find(late.key).ok, 1000);
  });
});

describe('Redis signing-key store', () => {
  it('two instances agree on one HS256 secret, and a rotation reaches both', async () => {
    const { a, b } = await twoInstances(openSigning);
    const [setA, setB] = await Promise.all([a.ensure(), b.ensure()]);
    expect(setA.current).toBe(setB.current);
    expect(setA.keys[0]!.secret).toBe(setB.keys[0]!.secret);
    const entry = await a.rotate('ES256');
    await waitFor(() => b.current()?.current === entry.kid, 1000);
    expect(b.current()!.keys.map((k) => k.kid)).toEqual([setA.current, entry.kid]);
  });
});
