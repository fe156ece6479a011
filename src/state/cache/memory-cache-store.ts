import { LRUCache } from 'lru-cache';
import type { CachedResponse, ResponseCacheStore } from '../types.js';

interface Slot {
  variants: readonly CachedResponse[];
  size: number;
}

/** Bytes a variant costs: its body plus a rough share for headers and bookkeeping. */
function sizeOf(variant: CachedResponse): number {
  let size = variant.body.length + 128;
  for (const [name, value] of Object.entries(variant.headers))
    size += name.length + (Array.isArray(value) ? value.join('').length : value.length) + 4;
  return size;
}

/** The in-memory store: an LRU bounded by total bytes (lru-cache's maxSize), each key with its own TTL. */
export function createMemoryCacheStore(options: { maxSize: number }): ResponseCacheStore {
  const lru = new LRUCache<string, Slot>({
    maxSize: options.maxSize,
    sizeCalculation: (slot, key) => Math.max(1, slot.size + key.length),
  });
  return {
    async get(key) {
      return lru.get(key)?.variants;
    },
    async set(key, variants, ttlMs) {
      if (variants.length === 0) {
        lru.delete(key);
        return;
      }
      const size = variants.reduce((sum, v) => sum + sizeOf(v), 0);
      lru.set(key, { variants, size }, { ttl: Math.max(1, Math.ceil(ttlMs)) });
    },
    async delete(key) {
      lru.delete(key);
    },
    async close() {
      lru.clear();
    },
  };
}
