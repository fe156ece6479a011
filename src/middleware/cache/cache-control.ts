import type { IncomingHttpHeaders } from 'node:http';

/** Cache-Control directives, lower-case names; a directive without a value maps to ''. */
export function parseCacheControl(value: string | string[] | undefined): Map<string, string> {
  const directives = new Map<string, string>();
  if (value === undefined) return directives;
  for (const part of (Array.isArray(value) ? value.join(',') : value).split(',')) {
    const [name, ...rest] = part.split('=');
    const key = name!.trim().toLowerCase();
    if (key) directives.set(key, rest.join('=').trim().replace(/^"|"$/g, ''));
  }
  return directives;
}

/** What the client asks of the cache: skip the lookup (`no-cache`, `max-age=0`) and/or the store (`no-store`). */
export function readRequestDirectives(headers: IncomingHttpHeaders): { refresh: boolean; noStore: boolean } {
  const cc = parseCacheControl(headers['cache-control']);
  const pragma = headers.pragma;
  const noStore = cc.has('no-store');
  const refresh =
    noStore ||
    cc.has('no-cache') ||
    cc.get('max-age') === '0' ||
    (cc.size === 0 && typeof pragma === 'string' && /no-cache/i.test(pragma));
  return { refresh, noStore };
}

function seconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value) * 1000;
}

export interface StoreDecision {
  /** Milliseconds the answer stays fresh; 0 when it must not be stored. */
  ttlMs: number;
  reason: string;
}

/**
 * How long a shared cache may keep an answer (RFC 9111 §3, §5.2.2): never with no-store, private
 * or no-cache (gw does not revalidate), Set-Cookie or `Vary: *`; s-maxage, then max-age, else the
 * route's ttl. A request that identifies someone the gateway did not check (Authorization on a
 * route without auth, a Cookie) is shared only when the upstream says public or s-maxage (§3.5).
 */
export function decideStore(
  headers: IncomingHttpHeaders,
  routeTtlMs: number,
  privateRequest: boolean,
): StoreDecision {
  const cc = parseCacheControl(headers['cache-control']);
  for (const directive of ['no-store', 'private', 'no-cache']) {
    if (cc.has(directive)) return { ttlMs: 0, reason: `upstream said ${directive}` };
  }
  if (headers['set-cookie'] !== undefined) return { ttlMs: 0, reason: 'the answer sets a cookie' };
  if (typeof headers.vary === 'string' && headers.vary.trim() === '*') return { ttlMs: 0, reason: 'Vary: *' };
  const shared = seconds(cc.get('s-maxage'));
  if (privateRequest && shared === undefined && !cc.has('public')) {
    return { ttlMs: 0, reason: 'the request carried a cookie or credentials the gateway did not check' };
  }
  const ttlMs = shared ?? seconds(cc.get('max-age')) ?? routeTtlMs;
  return ttlMs > 0 ? { ttlMs, reason: 'stored' } : { ttlMs: 0, reason: 'max-age=0' };
}

/** The Vary header names of an answer, lower-case. */
export function varyNames(headers: IncomingHttpHeaders): string[] {
  const vary = headers.vary;
  if (vary === undefined) return [];
  return (Array.isArray(vary) ? vary.join(',') : vary)
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
}
