import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { base64url, generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createFileSigningKeyStore,
  SIGNING_KEYS_FILE,
} from '../../src/state/signing-keys/file-signing-key-store.js';
import { defaultIdentityConfig } from '../../src/identity/identity-schema.js';
import { issueToken } from '../../src/identity/issue-token.js';
import { importSignKey } from '../../src/identity/key-ring.js';
import { createTokenVerifier } from '../../src/identity/token-verifier.js';
import type { SigningKeyStore } from '../../src/state/types.js';
import { createTempStateDir } from './temp-state.js';

const jwt = defaultIdentityConfig.jwt;
let dir: string;
let remove: () => Promise<void>;
let store: SigningKeyStore;
beforeEach(async () => {
  ({ dir, remove } = await createTempStateDir());
  store = await createFileSigningKeyStore({ stateDir: dir });
});
afterEach(async () => {
  await store.close();
  await remove();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);
const issue = async (extra: Partial<Parameters<typeof issueToken>[1]> = {}) =>
  (
    await issueToken(await store.ensure(), {
      subject: 'user123',
      ttlMs: 3_600_000,
      issuer: jwt.issuer,
      audience: jwt.audience,
      ...extra,
    })
  ).token;

describe('signing keys', () => {
  it('generates one HS256 secret on first use, owner-only, even when two processes race', async () => {
    const other = await createFileSigningKeyStore({ stateDir: dir });
    const [a, b] = await Promise.all([store.ensure(), other.ensure()]);
    expect(a.current).toBe(b.current);
    expect(a.keys[0]!.alg).toBe('HS256');
    expect(base64url.decode(a.keys[0]!.secret!)).toHaveLength(32);
    expect((await stat(path.join(dir, SIGNING_KEYS_FILE))).mode & 0o777).toBe(0o600);
    await other.close();
  });

  it('rotation adds a key pair and keeps the old keys', async () => {
    const first = await store.ensure();
    const entry = await store.rotate('ES256');
    const set = store.current()!;
    expect(set.current).toBe(entry.kid);
    expect(set.keys.map((k) => k.kid)).toEqual([first.current, entry.kid]);
    expect(JSON.parse(await readFile(path.join(dir, SIGNING_KEYS_FILE), 'utf8')).current).toBe(entry.kid);
  });
});

describe('token verification', () => {
  it('accepts a token gw issued and returns its subject and scopes', async () => {
    const token = await issue({ scopes: ['orders:write', 'users:read'], claims: { tier: 'pro' } });
    const result = await createTokenVerifier({ jwt, signingKeys: store }).verify(token);
    expect(result).toMatchObject({
      ok: true,
      token: { subject: 'user123', scopes: ['orders:write', 'users:read'], tier: 'pro' },
    });
  });

  it('keeps tokens signed with an older key valid after rotation, for each algorithm', async () => {
    const verifier = createTokenVerifier({ jwt, signingKeys: store });
    const hs = await issue();
    await store.rotate('ES256');
    const es = await issue();
    await store.rotate('EdDSA');
    const ed = await issue();
    for (const token of [hs, es, ed]) expect((await verifier.verify(token)).ok).toBe(true);
  });

  it('requires exp', async () => {
    const set = await store.ensure();
    const entry = set.keys[0]!;
    const token = await new SignJWT({ sub: 'x' })
      .setProtectedHeader({ alg: 'HS256', kid: entry.kid })
      .setIssuer(jwt.issuer)
      .setAudience(jwt.audience)
      .sign(await importSignKey(entry));
    const result = await createTokenVerifier({ jwt, signingKeys: store }).verify(token);
    expect(result).toEqual({ ok: false, reason: 'The token has no valid exp claim' });
  });

  // Every way a token can be wrong, with the reason the client is told.
  const cases: Array<[string, () => Promise<string>, RegExp]> = [
    [
      'alg none',
      async () =>
        `${base64url.encode('{"alg":"none","typ":"JWT"}')}.${base64url.encode(JSON.stringify({ sub: 'x', iss: 'gw', aud: 'gw', exp: nowSeconds() + 60 }))}.`,
      /alg none/,
    ],
    ['malformed', async () => 'not.a-token', /malformed/],
    ['garbage', async () => 'garbage', /malformed/],
    [
      'bad signature',
      async () => {
        const token = await issue();
        const [h, p] = token.split('.');
        return `${h}.${p}.${base64url.encode(new Uint8Array(32))}`;
      },
      /signature does not match/,
    ],
    ['expired', async () => issue({ now: nowSeconds() - 7200, ttlMs: 3_600_000 }), /expired/],
    [
      'nbf in the future',
      async () => {
        const entry = (await store.ensure()).keys[0]!;
        return new SignJWT({ sub: 'x' })
          .setProtectedHeader({ alg: 'HS256', kid: entry.kid })
          .setIssuer(jwt.issuer)
          .setAudience(jwt.audience)
          .setNotBefore(nowSeconds() + 3600)
          .setExpirationTime(nowSeconds() + 7200)
          .sign(await importSignKey(entry));
      },
      /not valid yet/,
    ],
    ['wrong audience', async () => issue({ audience: 'someone-else' }), /another audience/],
    ['untrusted issuer', async () => issue({ issuer: 'https://evil.example' }), /not trusted/],
    [
      'wrong key type (ES256 header on the HS256 key)',
      async () => {
        const entry = (await store.ensure()).keys[0]!;
        const pair = await generateKeyPair('ES256');
        return new SignJWT({ sub: 'x' })
          .setProtectedHeader({ alg: 'ES256', kid: entry.kid })
          .setIssuer(jwt.issuer)
          .setAudience(jwt.audience)
          .setExpirationTime(nowSeconds() + 60)
          .sign(pair.privateKey);
      },
      /key type does not fit/,
    ],
    [
      'algorithm not accepted (RS256)',
      async () => {
        const pair = await generateKeyPair('RS256');
        return new SignJWT({ sub: 'x' })
          .setProtectedHeader({ alg: 'RS256', kid: 'whatever' })
          .setIssuer(jwt.issuer)
          .setAudience(jwt.audience)
          .setExpirationTime(nowSeconds() + 60)
          .sign(pair.privateKey);
      },
      /algorithm that is not accepted/,
    ],
    [
      'unknown kid',
      async () => {
        const token = await issue();
        const other = await createTempStateDir();
        const foreign = await createFileSigningKeyStore({ stateDir: other.dir });
        const forged = await issueToken(await foreign.ensure(), {
          subject: 'x',
          ttlMs: 60_000,
          issuer: jwt.issuer,
          audience: jwt.audience,
        });
        await other.remove();
        return token && forged.token;
      },
      /No known key matches/,
    ],
  ];

  it.each(cases)('refuses %s with a reason', async (_name, make, reason) => {
    await store.ensure();
    const token = await make();
    const result = await createTokenVerifier({ jwt, signingKeys: store }).verify(token);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('refuses the HS256-with-the-public-key confusion', async () => {
    await store.ensure();
    const entry = await store.rotate('ES256');
    const forged = await new SignJWT({ sub: 'x' })
      .setProtectedHeader({ alg: 'HS256', kid: entry.kid })
      .setIssuer(jwt.issuer)
      .setAudience(jwt.audience)
      .setExpirationTime(nowSeconds() + 60)
      .sign(new TextEncoder().encode(JSON.stringify(entry.publicJwk)));
    const result = await createTokenVerifier({ jwt, signingKeys: store }).verify(forged);
    expect(result).toEqual({ ok: false, reason: 'The key type does not fit the token algorithm' });
  });

  it('allows the configured clock skew', async () => {
    const token = await issue({ now: nowSeconds() - 3600 - 10, ttlMs: 3_600_000 }); // expired 10 s ago
    expect((await createTokenVerifier({ jwt, signingKeys: store }).verify(token)).ok).toBe(true);
    const strict = createTokenVerifier({ jwt: { ...jwt, clockSkew: 0 }, signingKeys: store });
    expect((await strict.verify(token)).ok).toBe(false);
  });

  it('caches a verified token only until its exp', async () => {
    // The clock is read after the token is issued: with no skew allowed, a token issued in the
    // next second than a clock read before it would not be valid yet.
    const token = await issue({ ttlMs: 2000 });
    let now = Date.now();
    const verifier = createTokenVerifier({
      jwt: { ...jwt, clockSkew: 0 },
      signingKeys: store,
      now: () => now,
    });
    expect((await verifier.verify(token)).ok).toBe(true);
    expect((await verifier.verify(token)).ok).toBe(true);
    now += 5000;
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'The token expired' });
  });

  it('re-verifies cached tokens when the signing keys change', async () => {
    const token = await issue();
    const verifier = createTokenVerifier({ jwt, signingKeys: store });
    expect((await verifier.verify(token)).ok).toBe(true);
    await store.rotate('ES256');
    expect((await verifier.verify(token)).ok).toBe(true);
  });
});
