import { LRUCache } from 'lru-cache';
import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { SigningKeySet, SigningKeyStore } from '../state/types.js';
import { describeTokenError, TokenRejected } from './describe-token-error.js';
import type { JwtConfig } from './identity-schema.js';
import { keyRingOf } from './key-ring.js';
import { createRemoteJwks } from './remote-jwks.js';
import { checkTokenTimes, readIdentityClaims } from './token-claims.js';

export interface VerifiedToken {
  issuer: string;
  subject: string;
  scopes: readonly string[];
  claims: Readonly<JWTPayload>;
  /** The claim named by `identity.jwt.tierClaim`, when it is a string. */
  tier: string | undefined;
  /** ms since the epoch. */
  expiresAt: number;
}

export type VerifyResult = { ok: true; token: VerifiedToken } | { ok: false; reason: string };

export interface TokenVerifier {
  verify(token: string): Promise<VerifyResult>;
  /** The token as verified before, while that still holds (cache hit); otherwise undefined. */
  verified(token: string): VerifiedToken | undefined;
}

/** Remote JWKS sets by URL, kept by the caller so their caches outlive a config reload. */
export type RemoteJwksCache = Map<string, JWTVerifyGetKey>;

export interface TokenVerifierOptions {
  jwt: JwtConfig;
  signingKeys: SigningKeyStore;
  remoteJwks?: RemoteJwksCache;
  /** Verified tokens kept (LRU); a hit skips the signature check until the token's exp. */
  cacheSize?: number;
  now?: () => number;
}

interface CacheEntry {
  token: VerifiedToken;
  /** The key set it was checked against: a changed set re-verifies (a removed key must stop working). */
  set: SigningKeySet | undefined;
  validUntil: number;
}

/** Verifies gw's own tokens (local keys) and those of trusted issuers (remote JWKS). */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { jwt } = options;
  const now = options.now ?? Date.now;
  const remoteJwks = options.remoteJwks ?? new Map();
  const cache = new LRUCache<string, CacheEntry>({ max: options.cacheSize ?? 10_000 });
  const skewSeconds = Math.round(jwt.clockSkew / 1000);
  const maxLifetimeSeconds = jwt.maxLifetime === undefined ? undefined : jwt.maxLifetime / 1000;
  const trusted = new Map(jwt.trust.map((entry) => [entry.issuer, entry]));

  const verifyOwn = async (token: string, kid: unknown) => {
    let set = options.signingKeys.current();
    // A kid we do not know may be a key rotated in a moment ago: look once more before refusing.
    if (!set || (typeof kid === 'string' && !set.keys.some((key) => key.kid === kid))) {
      await options.signingKeys.refresh();
      set = options.signingKeys.current();
    }
    if (!set) throw new TokenRejected('No signing keys exist yet; mint a token with `gw token issue`');
    const ring = await keyRingOf(set);
    const result = await jwtVerify(
      token,
      (header) => {
        const key = header.kid === undefined ? undefined : ring.byKid.get(header.kid);
        if (!key) throw new TokenRejected("No known key matches the token's kid");
        // Pins the algorithm to the key: a token may not pick how its own key is used.
        if (key.alg !== header.alg) throw new TokenRejected('The key type does not fit the token algorithm');
        return key.verifyKey;
      },
      {
        issuer: jwt.issuer,
        audience: jwt.audience,
        algorithms: jwt.algorithms,
        clockTolerance: skewSeconds,
        requiredClaims: ['exp'],
        currentDate: new Date(now()),
      },
    );
    return { payload: result.payload, set };
  };

  const verifyTrusted = async (token: string, entry: JwtConfig['trust'][number]) => {
    const id = `${entry.jwksUri} ${entry.cooldown} ${entry.cacheMaxAge} ${entry.jwksTimeout} ${entry.jwksMaxSize}`;
    let jwks = remoteJwks.get(id);
    if (!jwks) {
      jwks = createRemoteJwks({
        url: entry.jwksUri,
        cooldown: entry.cooldown,
        cacheMaxAge: entry.cacheMaxAge,
        timeout: entry.jwksTimeout,
        maxSize: entry.jwksMaxSize,
      });
      remoteJwks.set(id, jwks);
    }
    const result = await jwtVerify(token, jwks, {
      issuer: entry.issuer,
      audience: entry.audience,
      algorithms: entry.algorithms,
      clockTolerance: skewSeconds,
      requiredClaims: ['exp'],
      currentDate: new Date(now()),
    });
    return { payload: result.payload, set: undefined };
  };

  const verified = (token: string): VerifiedToken | undefined => {
    const hit = cache.get(token);
    return hit && now() < hit.validUntil && hit.set === options.signingKeys.current() ? hit.token : undefined;
  };

  return {
    verified,
    async verify(token) {
      const hit = verified(token);
      if (hit) return { ok: true, token: hit };
      try {
        const { alg, kid, issuer } = peek(token);
        if (typeof alg !== 'string' || alg.toLowerCase() === 'none') {
          throw new TokenRejected('Unsigned tokens (alg none) are not accepted');
        }
        const entry = issuer === undefined ? undefined : trusted.get(issuer);
        if (issuer !== jwt.issuer && !entry)
          throw new TokenRejected(`The issuer ${issuer ?? '(none)'} is not trusted`);
        const { payload, set } = entry ? await verifyTrusted(token, entry) : await verifyOwn(token, kid);
        checkTokenTimes(payload, now() / 1000, skewSeconds, maxLifetimeSeconds);
        const verified = toVerified(payload, jwt.tierClaim);
        cache.set(token, { token: verified, set, validUntil: verified.expiresAt + jwt.clockSkew });
        return { ok: true, token: verified };
      } catch (error) {
        cache.delete(token);
        return { ok: false, reason: describeTokenError(error) };
      }
    },
  };
}

/** Reads the header and issuer without trusting them, only to pick the verifier. */
function peek(token: string): { alg: unknown; kid: unknown; issuer: string | undefined } {
  try {
    const header = decodeProtectedHeader(token);
    return { alg: header.alg, kid: header.kid, issuer: decodeJwt(token).iss };
  } catch {
    throw new TokenRejected('The token is malformed');
  }
}

function toVerified(payload: JWTPayload, tierClaim: string): VerifiedToken {
  const tier = payload[tierClaim];
  const { subject, scopes } = readIdentityClaims(payload);
  return {
    issuer: payload.iss ?? '',
    subject,
    scopes,
    claims: payload,
    tier: typeof tier === 'string' ? tier : undefined,
    expiresAt: (payload.exp ?? 0) * 1000,
  };
}
