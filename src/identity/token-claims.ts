import type { JWTPayload } from 'jose';
import { TokenRejected } from './describe-token-error.js';

/**
 * Text that can go into an HTTP header as is: visible ASCII, space and Latin-1 (RFC 9110 §5.5
 * field-vchar and obs-text). CR/LF would inject headers (or log lines), anything above U+00FF
 * cannot be written at all, so a claim holding them is refused rather than forwarded or crashing.
 */
const headerSafe = /^[\x20-\x7e\x80-\xff]+$/;

/** A claim gw forwards in a header: absent, or a non-empty header-safe string. */
function headerClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !headerSafe.test(value))
    throw new TokenRejected(`The token's ${name} claim is not text a header can carry`);
  return value;
}

export interface TokenIdentityClaims {
  subject: string;
  clientId: string | undefined;
  scopes: string[];
}

/**
 * The claims that become X-User-ID, X-Client-ID and X-Scopes, checked. A token without `sub`
 * passes when it names its client (`client_id`, `azp`): client-credentials tokens of many IdPs
 * look so, and RFC 9068 §2.2 makes the client the subject then. One naming nobody is refused:
 * every such token would share one identity (one rate-limit bucket, an empty X-User-ID).
 */
export function readIdentityClaims(payload: JWTPayload): TokenIdentityClaims {
  const clientId = headerClaim(payload, 'client_id') ?? headerClaim(payload, 'azp');
  const subject = headerClaim(payload, 'sub') ?? clientId;
  if (subject === undefined) throw new TokenRejected('The token names no subject (sub or client_id)');
  return { subject, clientId, scopes: scopesOf(payload) };
}

/** RFC 8693 `scope` (space-separated), or `scp` as some IdPs send it (array or string). */
function scopesOf(payload: JWTPayload): string[] {
  const name = payload.scope !== undefined ? 'scope' : 'scp';
  const value = payload[name];
  if (value === undefined) return [];
  const scopes = typeof value === 'string' ? value.split(' ').filter(Boolean) : value;
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && headerSafe.test(s)))
    throw new TokenRejected(`The token's ${name} claim is not a list of scopes`);
  return scopes as string[];
}

/** The largest `exp` accepted at all (year 10000): beyond it, or not finite (1e309), is nonsense. */
const LATEST_EXP = 253_402_300_800;

/**
 * What jose leaves to the caller (it checks `exp` only against the past): an `exp` that is not a
 * finite time, an `iat` in the future, and with `maxLifetime` a token meant to live longer.
 * Times in seconds, as in the claims.
 */
export function checkTokenTimes(
  payload: JWTPayload,
  now: number,
  skew: number,
  maxLifetime: number | undefined,
): void {
  const { exp, iat } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp) || exp > LATEST_EXP)
    throw new TokenRejected('The token has no valid exp claim');
  if (iat !== undefined && (!Number.isFinite(iat) || iat > now + skew))
    throw new TokenRejected('The token was issued in the future');
  if (maxLifetime !== undefined && exp - Math.min(iat ?? now, now) > maxLifetime + skew)
    throw new TokenRejected('The token lives longer than identity.jwt.maxLifetime allows');
}
