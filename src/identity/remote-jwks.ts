import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { TokenRejected } from './describe-token-error.js';

export interface RemoteJwksOptions {
  url: string;
  /** Least time between two fetches, failed ones included (ms). */
  cooldown: number;
  /** How long a fetched set is used before it is fetched again (ms). */
  cacheMaxAge: number;
  /** Budget of one fetch, head and body (ms). */
  timeout: number;
  /** Largest JWKS body read (bytes); the fetch is aborted past it. */
  maxSize: number;
  now?: () => number;
}

/**
 * An issuer's key set, fetched on demand. Unlike jose's createRemoteJWKSet, a failed fetch obeys
 * the cooldown too (a negative cache: a down or hanging IdP costs one fetch per cooldown, not one
 * per token, and callers in between fail at once), a fetch has a short deadline, and its body is
 * counted as it streams and abandoned past maxSize (issue 12). A set fetched before keeps serving
 * while a refresh fails.
 */
export function createRemoteJwks(options: RemoteJwksOptions): JWTVerifyGetKey {
  const now = options.now ?? Date.now;
  let local: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetchedAt = -Infinity;
  let attemptedAt = -Infinity;
  let failure: string | undefined;
  let pending: Promise<void> | undefined;

  const refresh = (): Promise<void> => {
    if (pending) return pending;
    if (now() - attemptedAt < options.cooldown) return Promise.resolve();
    attemptedAt = now();
    pending = fetchJwks(options)
      .then(
        (set) => {
          local = createLocalJWKSet(set);
          fetchedAt = now();
          failure = undefined;
        },
        (error: unknown) => {
          failure = error instanceof Error ? error.message : String(error);
        },
      )
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };

  return async function remoteKey(header, token) {
    if (!local || now() - fetchedAt > options.cacheMaxAge) await refresh();
    if (!local)
      throw new TokenRejected(`The issuer's keys could not be fetched: ${failure ?? 'no answer yet'}`);
    try {
      return await local(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // A kid we have not seen may be a key the issuer rotated in: fetch again, within the cooldown.
      const before = local;
      await refresh();
      if (local === before) throw error;
      return local(header, token);
    }
  };
}

async function fetchJwks(options: RemoteJwksOptions): Promise<JSONWebKeySet> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeout);
  try {
    const response = await fetch(options.url, {
      signal: abort.signal,
      redirect: 'manual',
      headers: { accept: 'application/json' },
    });
    if (response.status !== 200) throw new Error(`${options.url} answered ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > options.maxSize) throw new Error(`the JWKS is larger than ${options.maxSize} bytes`);
    const text = await readCapped(response, options.maxSize);
    return JSON.parse(text) as JSONWebKeySet;
  } catch (error) {
    if (abort.signal.aborted) throw new Error(`${options.url} did not answer within ${options.timeout} ms`);
    throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

/** The body as text, counted chunk by chunk: past `maxSize` the rest is never read. */
async function readCapped(response: Response, maxSize: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxSize) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`the JWKS is larger than ${maxSize} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}
