import type { CryptoKey, JWK } from 'jose';
import type { SigningAlgorithm, SigningKeyEntry, SigningKeySet } from '../state/types.js';

export interface RingKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** For verifying (public key or HMAC secret). */
  readonly verifyKey: CryptoKey | Uint8Array;
}

/** A signing key set with its keys imported once, so a request never parses a JWK. */
export interface KeyRing {
  readonly set: SigningKeySet;
  readonly byKid: ReadonlyMap<string, RingKey>;
  readonly current: SigningKeyEntry;
}

const rings = new WeakMap<SigningKeySet, Promise<KeyRing>>();

/** The imported ring of a set; memoised per set object (the stores swap the object on change). */
export function keyRingOf(set: SigningKeySet): Promise<KeyRing> {
  let ring = rings.get(set);
  if (!ring) {
    ring = importRing(set);
    rings.set(set, ring);
  }
  return ring;
}

async function importRing(set: SigningKeySet): Promise<KeyRing> {
  const byKid = new Map<string, RingKey>();
  for (const entry of set.keys)
    byKid.set(entry.kid, { kid: entry.kid, alg: entry.alg, verifyKey: await importVerifyKey(entry) });
  const current = set.keys.find((entry) => entry.kid === set.current)!;
  return { set, byKid, current };
}

// jose is imported when a key is, not with this module: the admin endpoints import it for the JWKS
// document on every `gw dev` start, and jose's modules are not needed unless tokens are (issue 15).
async function importVerifyKey(entry: SigningKeyEntry): Promise<CryptoKey | Uint8Array> {
  const { base64url, importJWK } = await import('jose');
  if (entry.alg === 'HS256') return base64url.decode(entry.secret ?? '');
  return importJWK(entry.publicJwk as JWK, entry.alg);
}

export async function importSignKey(entry: SigningKeyEntry): Promise<CryptoKey | Uint8Array> {
  const { base64url, importJWK } = await import('jose');
  if (entry.alg === 'HS256') return base64url.decode(entry.secret ?? '');
  return importJWK(entry.privateJwk as JWK, entry.alg);
}

/** The public half of every asymmetric key, for `/.well-known/jwks.json` (never the HS256 secret). */
export function publicJwks(set: SigningKeySet | undefined): { keys: JWK[] } {
  const keys: JWK[] = [];
  for (const entry of set?.keys ?? []) {
    if (entry.publicJwk) keys.push({ ...entry.publicJwk, kid: entry.kid, alg: entry.alg, use: 'sig' });
  }
  return { keys };
}
