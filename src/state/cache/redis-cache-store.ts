import type { Redis } from 'ioredis';
import type { CachedResponse, ResponseCacheStore } from '../types.js';

/**
 * The response cache shared by every gateway on the Redis: the same keys and TTLs as the
 * in-memory LRU, one Redis string per key holding its variants (bodies base64 in JSON), written
 * with SET … PX so each entry expires with its freshest variant. Total size is bounded by the
 * Redis server's maxmemory policy, not by `cacheStore.maxSize` (that bounds each process's LRU).
 */

interface StoredVariant extends Omit<CachedResponse, 'body'> {
  body: string;
}

function encode(variants: readonly CachedResponse[]): string {
  return JSON.stringify(
    variants.map((variant): StoredVariant => ({ ...variant, body: variant.body.toString('base64') })),
  );
}

function decode(text: string): CachedResponse[] | undefined {
  try {
    const stored = JSON.parse(text) as StoredVariant[];
    if (!Array.isArray(stored)) return undefined;
    return stored.map((variant) => ({ ...variant, body: Buffer.from(variant.body, 'base64') }));
  } catch {
    // Unreadable (another version wrote it): a miss, and the next answer overwrites it.
    return undefined;
  }
}

export function createRedisCacheStore(options: { client: Redis; prefix: string }): ResponseCacheStore {
  const { client } = options;
  const keyOf = (key: string) => `${options.prefix}cache:${key}`;
  return {
    async get(key) {
      const text = await client.get(keyOf(key));
      return text === null ? undefined : decode(text);
    },
    async set(key, variants, ttlMs) {
      if (variants.length === 0) {
        await client.del(keyOf(key));
        return;
      }
      await client.set(keyOf(key), encode(variants), 'PX', Math.max(1, Math.ceil(ttlMs)));
    },
    async delete(key) {
      await client.del(keyOf(key));
    },
    // The connection belongs to the state that opened it.
    async close() {},
  };
}
