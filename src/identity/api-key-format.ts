import { hash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ApiKeyLookup, ApiKeyRecord, NewApiKey } from '../state/types.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
// 43 base62 characters carry 256 bits of randomness.
const KEY_CHARS = 43;
export const API_KEY_PREFIX = 'gw_live_';

/** Uniform base62 characters: bytes ≥ 248 are dropped so `% 62` has no bias. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBase62(KEY_CHARS);
}

export function generateKeyId(): string {
  return `key_${randomBase62(12)}`;
}

/**
 * A fast hash is enough: keys carry 256 random bits, so there is nothing to brute-force. Lookups
 * go by this hash, so their timing depends on the hash and reveals nothing about stored keys (the
 * memo of presented keys below only answers faster for a key that was already accepted).
 */
export function hashApiKey(key: string): string {
  // One-shot hash: runs on every request with an API key, about 3× cheaper than createHash().
  return hash('sha256', key, 'hex');
}

/** What `gw keys list` shows of a key: enough to recognise it, far too little to use it. */
export function displayPrefix(key: string): string {
  return `${key.slice(0, API_KEY_PREFIX.length + 4)}…`;
}

/** A new key and the record stored for it (only the hash: the key itself is shown once). */
export function mintApiKey(input: NewApiKey, nowMs: number): { key: string; record: ApiKeyRecord } {
  const key = generateApiKey();
  const record: ApiKeyRecord = {
    id: generateKeyId(),
    name: input.name,
    hash: hashApiKey(key),
    prefix: displayPrefix(key),
    scopes: [...input.scopes],
    ...(input.tier === undefined ? {} : { tier: input.tier }),
    createdAt: new Date(nowMs).toISOString(),
    ...(input.expiresAt === undefined ? {} : { expiresAt: input.expiresAt.toISOString() }),
  };
  return { key, record };
}

/**
 * Hashes of keys that matched a record, by the key as presented: a client sends the same key with
 * every request, and hashing it each time was the auth policy's largest cost. In memory only
 * (keys.json keeps hashes alone); a store starts a new one whenever it reloads its records.
 */
export type PresentedKeyHashes = Map<string, string>;

/** Presented keys remembered at most: beyond, the memo starts over (it only saves hashing). */
const PRESENTED_KEYS_KEPT = 1_000;

/** A presented key against the records by hash: unknown, revoked, expired, or the record. */
export function lookupApiKey(
  byHash: ReadonlyMap<string, ApiKeyRecord>,
  key: string,
  nowMs: number,
  hashes?: PresentedKeyHashes,
): ApiKeyLookup {
  let hash = hashes?.get(key);
  let record = hash === undefined ? undefined : byHash.get(hash);
  if (!record) {
    hash = hashApiKey(key);
    record = byHash.get(hash);
    if (!record) return { ok: false, reason: 'unknown' };
    // Only keys that match a record are kept, so unknown keys cannot fill the memo.
    if (hashes) {
      if (hashes.size >= PRESENTED_KEYS_KEPT) hashes.clear();
      hashes.set(key, hash);
    }
  }
  if (record.revokedAt !== undefined) return { ok: false, reason: 'revoked' };
  if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= nowMs)
    return { ok: false, reason: 'expired' };
  return { ok: true, record };
}

/** A key record as every store keeps it (revocations are stored beside it, store by store). */
export const storedKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  prefix: z.string(),
  scopes: z.array(z.string()),
  tier: z.string().optional(),
  createdAt: z.string(),
  expiresAt: z.string().optional(),
});
