import type { ConfigChanges } from '../events/gateway-events.js';
import { routeId } from './route-id.js';
import type { ResolvedConfig, ResolvedRoute, ResolvedService } from './schema.js';

/**
 * Structural equality for parsed config values. A reload evaluates the config again, so its
 * functions are new objects: two functions are equal when they are the same or read the same.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a === 'function' && typeof b === 'function') return a.toString() === b.toString();
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof RegExp || b instanceof RegExp) return String(a) === String(b);
  const keysA = Object.keys(a).filter((key) => (a as Record<string, unknown>)[key] !== undefined);
  const keysB = Object.keys(b).filter((key) => (b as Record<string, unknown>)[key] !== undefined);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) =>
    sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

function routesById(config: ResolvedConfig | undefined): Map<string, ResolvedRoute> {
  return new Map((config?.routes ?? []).map((route) => [routeId(route), route]));
}

/**
 * Routes added, removed and changed between two loads, by route id. A route also counts as
 * changed when the service it forwards to changed (targets, balance, timeout …), since its
 * behaviour did.
 */
export function diffConfig(previous: ResolvedConfig | undefined, next: ResolvedConfig): ConfigChanges {
  const before = routesById(previous);
  const after = routesById(next);
  const serviceOf = (
    config: ResolvedConfig | undefined,
    route: ResolvedRoute,
  ): ResolvedService | undefined =>
    route.service === undefined ? undefined : config?.services[route.service];
  const changes: ConfigChanges = { added: [], removed: [], changed: [] };
  for (const [id, route] of after) {
    const old = before.get(id);
    if (!old) changes.added.push(id);
    else if (!sameValue(old, route) || !sameValue(serviceOf(previous, old), serviceOf(next, route)))
      changes.changed.push(id);
  }
  for (const id of before.keys()) if (!after.has(id)) changes.removed.push(id);
  return changes;
}
