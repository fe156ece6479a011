import { randomBytes } from 'node:crypto';
import type { SigningAlgorithm, SigningKeyEntry } from '../state/types.js';

/** A new signing key; its kid is the RFC 7638 thumbprint (asymmetric) or random (HS256). */
export async function generateSigningKey(alg: SigningAlgorithm): Promise<SigningKeyEntry> {
  // Imported when a key is made, not when the state store is: `gw dev` creates the store on every
  // start, and jose's modules are not needed unless a route checks tokens (issue 15).
  const { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair } = await import('jose');
  const createdAt = new Date().toISOString();
  if (alg === 'HS256') {
    // 256 bits: the HS256 key should be as long as the hash (RFC 7518 §3.2).
    return {
      kid: `hs-${randomBytes(6).toString('hex')}`,
      alg,
      createdAt,
      secret: base64url.encode(randomBytes(32)),
    };
  }
  const pair = await generateKeyPair(alg, { extractable: true });
  const publicJwk = toStrings(await exportJWK(pair.publicKey));
  const privateJwk = toStrings(await exportJWK(pair.privateKey));
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, alg, createdAt, publicJwk, privateJwk };
}

function toStrings(jwk: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(jwk)) if (typeof value === 'string') out[name] = value;
  return out;
}
