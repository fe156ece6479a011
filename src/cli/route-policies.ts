import type { ResolvedConfig, ResolvedRoute } from '../config/schema.js';
import { describeRule } from '../middleware/rate-limit-schema.js';
import { policyOrder } from '../pipeline/policies.js';

/** One policy a route runs, as `gw routes list` and `gw routes test` show it. */
export interface RoutePolicy {
  /** The route key that turns it on: `auth`, `rateLimit`, `use` … */
  name: string;
  /** Its setting in a few words: `apiKey, jwt`, `10 per 1m` … */
  detail?: string;
  /** Set at the top level of the config, not on the route. */
  inherited?: boolean;
}

/** `createRateLimitPolicy` → `rateLimit`; the custom middlewares' key is `use`. */
function keyOfFactory(name: string): string {
  const bare = name.replace(/^create/, '').replace(/Policy$/, '');
  const key = bare.charAt(0).toLowerCase() + bare.slice(1);
  return key === 'custom' ? 'use' : key;
}

/** Route keys in the order their policies run, read from the pipeline's own order. */
export const policyKeysInOrder: readonly string[] = policyOrder.map((factory) => keyOfFactory(factory.name));

function detailOf(key: string, value: unknown, route: ResolvedRoute): string | undefined {
  if (key === 'auth') {
    const methods = Array.isArray(value) ? value.join(' or ') : String(value);
    return route.scopes?.length ? `${methods}, scopes ${route.scopes.join(' ')}` : methods;
  }
  if (key === 'rateLimit' && value && typeof value === 'object' && 'rules' in value) {
    const limit = value as { rules: Parameters<typeof describeRule>[0][]; by: string };
    const rules = limit.rules.map(describeRule).join(' + ');
    return limit.by === 'identity' ? rules : `${rules} by ${limit.by}`;
  }
  if (key === 'use' && Array.isArray(value))
    return `${value.length} middleware${value.length === 1 ? '' : 's'}`;
  return undefined;
}

/**
 * What a route runs, in the order it runs it: its own policy keys, and the top-level defaults
 * (rateLimit, cors) it inherits when it sets none itself. `false` turns a policy off.
 */
export function policiesOfRoute(route: ResolvedRoute, config: ResolvedConfig): RoutePolicy[] {
  const own = route as Readonly<Record<string, unknown>>;
  const defaults = config as Readonly<Record<string, unknown>>;
  const policies: RoutePolicy[] = [];
  for (const key of policyKeysInOrder) {
    const inherited = own[key] === undefined && (key === 'rateLimit' || key === 'cors');
    const value = inherited ? defaults[key] : own[key];
    if (value === undefined || value === false) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    const detail = detailOf(key, value, route);
    policies.push({ name: key, ...(detail ? { detail } : {}), ...(inherited ? { inherited: true } : {}) });
  }
  return policies;
}

/** `rateLimit 10 per 1m (inherited)`. */
export function formatPolicy(policy: RoutePolicy): string {
  return `${policy.name}${policy.detail ? ` ${policy.detail}` : ''}${policy.inherited ? ' (inherited)' : ''}`;
}

/** What happens to the path on the way upstream: `stripPrefix /api`, `rewrite`. */
export function pathChanges(route: ResolvedRoute): string[] {
  return [
    route.stripPrefix ? `stripPrefix ${route.stripPrefix}` : undefined,
    route.rewrite ? 'rewrite' : undefined,
  ].filter((text): text is string => text !== undefined);
}
