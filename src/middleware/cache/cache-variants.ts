import type { IncomingHttpHeaders } from 'node:http';
import type { BufferedResponse } from '../../pipeline/types.js';
import type { CachedResponse, ResponseCacheStore } from '../../state/types.js';
import { varyNames } from './cache-control.js';
import { varyMatches, varyValues } from './cache-key.js';

/** Variants kept per key (one per set of Vary values); the oldest go first. */
const maxVariants = 16;
/** Never stored: recomputed per answer, or about one connection. */
const unstored = new Set(['age', 'content-length', 'transfer-encoding', 'connection', 'keep-alive']);

/** The first fresh variant made for a request with these header values. */
export function pickFresh(
  variants: readonly CachedResponse[] | undefined,
  headers: IncomingHttpHeaders,
  now: number,
): CachedResponse | undefined {
  if (!variants) return undefined;
  for (const variant of variants)
    if (variant.expiresAt > now && varyMatches(variant.vary, headers)) return variant;
  return undefined;
}

export async function safeGet(
  store: ResponseCacheStore,
  key: string,
): Promise<readonly CachedResponse[] | undefined> {
  try {
    return await store.get(key);
  } catch {
    // A store that cannot answer is a miss, never a failed request.
    return undefined;
  }
}

/**
 * A variant from an answer. `perRequest` names the gateway's own headers (request id, limits,
 * CORS, X-Cache): they are added again to each answer, never stored.
 */
export function toVariant(
  response: BufferedResponse,
  perRequest: Readonly<Record<string, unknown>>,
  requestHeaders: IncomingHttpHeaders,
  routeVary: readonly string[],
  ttlMs: number,
): CachedResponse {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined && !(name in perRequest) && !unstored.has(name)) headers[name] = value;
  }
  const now = Date.now();
  const names = [...new Set([...routeVary, ...varyNames(response.headers)])];
  return {
    status: response.status,
    headers,
    body: response.body,
    storedAt: now,
    expiresAt: now + ttlMs,
    initialAge: Number.parseInt(String(response.headers.age ?? '0'), 10) || 0,
    vary: varyValues(names, requestHeaders),
  };
}

/** Adds a variant under its key, replacing the one for the same Vary values and dropping stale ones. */
export async function storeVariant(
  store: ResponseCacheStore,
  key: string,
  variant: CachedResponse,
  requestHeaders: IncomingHttpHeaders,
): Promise<void> {
  const now = variant.storedAt;
  const others = ((await safeGet(store, key)) ?? []).filter(
    (v) => v.expiresAt > now && !varyMatches(v.vary, requestHeaders),
  );
  const variants = [...others.slice(-(maxVariants - 1)), variant];
  const ttl = Math.max(...variants.map((v) => v.expiresAt)) - now;
  await store.set(key, variants, ttl).catch(() => undefined);
}
