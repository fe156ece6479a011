import { SignJWT, type JWTPayload } from 'jose';
import { GatewayError } from '../errors.js';
import type { SigningKeySet } from '../state/types.js';
import { importSignKey } from './key-ring.js';

// Claims gw sets itself; a --claim may not overwrite them.
const RESERVED = new Set(['iss', 'aud', 'sub', 'exp', 'iat', 'nbf', 'jti', 'scope']);

export interface IssueTokenOptions {
  subject: string;
  ttlMs: number;
  issuer: string;
  audience: string;
  scopes?: readonly string[];
  claims?: Readonly<Record<string, unknown>>;
  /** Seconds since the epoch; tests pin it. */
  now?: number;
}

export interface IssuedToken {
  token: string;
  kid: string;
  alg: string;
  payload: JWTPayload;
}

/** Signs a JWT with the set's current key: always with `exp`, `iat`, `iss`, `aud` and the kid. */
export async function issueToken(set: SigningKeySet, options: IssueTokenOptions): Promise<IssuedToken> {
  if (options.subject.length === 0)
    throw new GatewayError('GW_TOKEN_ARGUMENT', 'The subject (--sub) is empty');
  if (!(options.ttlMs > 0))
    throw new GatewayError('GW_TOKEN_ARGUMENT', 'The lifetime (--ttl) must be positive');
  for (const name of Object.keys(options.claims ?? {})) {
    if (RESERVED.has(name)) {
      throw new GatewayError('GW_TOKEN_ARGUMENT', `The claim ${name} is set by gw itself`, {
        hint: name === 'scope' ? 'Use --scope.' : 'Use --sub or --ttl, or pick another claim name.',
      });
    }
  }
  const entry = set.keys.find((key) => key.kid === set.current)!;
  const iat = options.now ?? Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    ...options.claims,
    ...(options.scopes && options.scopes.length > 0 ? { scope: options.scopes.join(' ') } : {}),
  };
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: entry.alg, kid: entry.kid, typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + Math.ceil(options.ttlMs / 1000))
    .sign(await importSignKey(entry));
  return {
    token,
    kid: entry.kid,
    alg: entry.alg,
    payload: {
      ...payload,
      sub: options.subject,
      iss: options.issuer,
      aud: options.audience,
      iat,
      exp: iat + Math.ceil(options.ttlMs / 1000),
    },
  };
}
