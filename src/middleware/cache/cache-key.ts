import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { CompiledRoute, GatewayContext } from '../../pipeline/types.js';

/**
 * A digest of the route's config, functions included (by source): part of every key, so a reload
 * that leaves the route alone keeps its entries and one that changes it starts afresh.
 */
export function routeFingerprint(route: CompiledRoute): string {
  const text = JSON.stringify(route.config, (_key, value: unknown) => {
    if (typeof value === 'function') return `fn:${value.toString()}`;
    if (value instanceof RegExp) return `re:${value.toString()}`;
    return value;
  });
  return createHash('sha256').update(route.id).update('\u0000').update(text).digest('base64url').slice(0, 16);
}

/** The query with its parameters in a stable order (`?b=2&a=1` and `?a=1&b=2` are one entry). */
export function canonicalQuery(search: string): string {
  if (search.length <= 1) return '';
  const params = new URLSearchParams(search);
  params.sort();
  return params.toString();
}

/**
 * The primary key: route (and its fingerprint), the Host the upstream sees (gw forwards the
 * client's, and apps build links from it: without it `Host: evil.example` poisons the entry for
 * everyone), method, canonical path, canonical query and the verified caller, so one caller never
 * sees another's answer. Vary is judged per variant. HEAD is answered from GET entries.
 */
export function primaryKey(prefix: string, ctx: GatewayContext): string {
  const caller = ctx.identity ? ctx.identity.id : '';
  const host = ctx.upstreamHeaders.host ?? '';
  return `${prefix}\u0000${host.toLowerCase()}\u0000GET\u0000${ctx.path}\u0000${canonicalQuery(ctx.search)}\u0000${caller}`;
}

function headerText(value: string | string[] | undefined): string {
  return value === undefined ? '' : Array.isArray(value) ? value.join(', ') : value;
}

/** The request's values of the named headers. */
export function varyValues(names: readonly string[], headers: IncomingHttpHeaders): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of names) values[name] = headerText(headers[name]);
  return values;
}

/** Whether a stored variant was made for a request with the same values of its Vary headers. */
export function varyMatches(vary: Readonly<Record<string, string>>, headers: IncomingHttpHeaders): boolean {
  for (const name in vary) if (headerText(headers[name]) !== vary[name]) return false;
  return true;
}
