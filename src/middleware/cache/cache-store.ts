import { createMemoryCacheStore } from '../../state/cache/memory-cache-store.js';
import type { ResponseCacheStore } from '../../state/types.js';

const slotName = 'response-cache';

/**
 * The store for this build: the state's shared one when it has one, else the process's in-memory
 * LRU kept in `state.maps`, so entries outlive a reload (a new one only when maxSize changes).
 */
export function cacheStoreOf(
  state: { maps: Map<string, Map<string, unknown>>; responseCache?: ResponseCacheStore },
  maxSize: number,
): ResponseCacheStore {
  if (state.responseCache) return state.responseCache;
  let slot = state.maps.get(slotName) as
    Map<string, { maxSize: number; store: ResponseCacheStore }> | undefined;
  if (!slot) state.maps.set(slotName, (slot = new Map()));
  const held = slot.get('memory');
  if (held && held.maxSize === maxSize) return held.store;
  void held?.store.close();
  const store = createMemoryCacheStore({ maxSize });
  slot.set('memory', { maxSize, store });
  return store;
}
