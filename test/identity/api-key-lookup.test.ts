import { describe, expect, it } from 'vitest';
import { lookupApiKey, mintApiKey, type PresentedKeyHashes } from '../../src/identity/api-key-format.js';
import type { ApiKeyRecord } from '../../src/state/types.js';

const now = Date.parse('2026-01-01T00:00:00Z');

function keys(count: number) {
  const minted = Array.from({ length: count }, (_, i) => mintApiKey({ name: `k${i}`, scopes: [] }, now));
  const byHash = new Map<string, ApiKeyRecord>(minted.map(({ record }) => [record.hash, record]));
  return { minted, byHash };
}

describe('API key lookup with a memo of presented keys', () => {
  it('remembers only keys that matched a record, as the hash of the key', () => {
    const { minted, byHash } = keys(1);
    const hashes: PresentedKeyHashes = new Map();
    const { key, record } = minted[0]!;
    expect(lookupApiKey(byHash, `${key}x`, now, hashes)).toEqual({ ok: false, reason: 'unknown' });
    expect(hashes.size).toBe(0);
    expect(lookupApiKey(byHash, key, now, hashes)).toEqual({ ok: true, record });
    expect([...hashes]).toEqual([[key, record.hash]]);
    expect(lookupApiKey(byHash, key, now, hashes)).toEqual({ ok: true, record });
  });

  it('answers from the records as they are now: a record gone or revoked since is not served from the memo', () => {
    const { minted, byHash } = keys(2);
    const hashes: PresentedKeyHashes = new Map();
    const [a, b] = minted;
    expect(lookupApiKey(byHash, a!.key, now, hashes).ok).toBe(true);
    expect(lookupApiKey(byHash, b!.key, now, hashes).ok).toBe(true);
    byHash.delete(a!.record.hash);
    byHash.set(b!.record.hash, { ...b!.record, revokedAt: new Date(now).toISOString() });
    expect(lookupApiKey(byHash, a!.key, now, hashes)).toEqual({ ok: false, reason: 'unknown' });
    expect(lookupApiKey(byHash, b!.key, now, hashes)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('keeps at most 1,000 presented keys and still answers every key rightly past that', () => {
    const { minted, byHash } = keys(1_500);
    const hashes: PresentedKeyHashes = new Map();
    for (const { key, record } of minted) {
      expect(lookupApiKey(byHash, key, now, hashes)).toEqual({ ok: true, record });
      expect(hashes.size).toBeLessThanOrEqual(1_000);
    }
    for (const { key, record } of minted)
      expect(lookupApiKey(byHash, key, now, hashes)).toEqual({ ok: true, record });
  });
});
