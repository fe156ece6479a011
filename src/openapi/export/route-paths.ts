import type { RouteTable } from '../../pipeline/match-route.js';
import type { CompiledRoute } from '../../pipeline/types.js';
import { matchOperation, type CompiledOperation, type CompiledSpec } from '../compile-spec.js';

/** One operation of a service's spec, at the gateway path a client calls it by. */
export interface GatewayOperation {
  readonly gatewayPath: string;
  readonly method: string;
  readonly operation: CompiledOperation;
}

/**
 * The OpenAPI template of the prefix a route answers: `/api/users/:id/*` → `/api/users/{id}`
 * (a route matches its path and everything below it, so the trailing `*` adds nothing here).
 */
export function gatewayTemplateOf(routePath: string): string {
  const segments = routePath.split('/').filter((segment) => segment.length > 0);
  if (segments.at(-1) === '*') segments.pop();
  return '/' + segments.map((s) => (s.startsWith(':') ? `{${s.slice(1)}}` : s)).join('/');
}

/** The `{name}`s of a path template, in order. */
export function templateParams(template: string): string[] {
  return [...template.matchAll(/\{([^}/]+)\}/g)].map((found) => found[1]!);
}

/** A Host the route answers, to ask the route table with (`*.x.localhost` → `a.x.localhost`). */
const sampleHost = (host: string | undefined) => (host?.startsWith('*.') ? `a${host.slice(1)}` : host);

/**
 * The gateway path that could reach an upstream template, guessed by putting the route's prefix
 * in place of what the route sends upstream for that prefix (`/api` → `/`, so `/orders` comes
 * from `/api/orders`). Only a guess: the caller proves it with the forward mapping.
 */
function candidatePath(prefix: string, upstreamPrefix: string, template: string): string | undefined {
  let rest: string;
  if (upstreamPrefix === '/') rest = template === '/' ? '' : template;
  else if (template === upstreamPrefix || template === `${upstreamPrefix}/`) rest = '';
  else if (template.startsWith(`${upstreamPrefix}/`)) rest = template.slice(upstreamPrefix.length);
  else return undefined;
  const joined = (prefix === '/' ? '' : prefix) + rest;
  return joined === '' ? '/' : joined;
}

/**
 * The spec's operations that a route serves, at their gateway paths. Each candidate is checked
 * with the mappings gw uses on a request, not a second copy of them: the route table must pick
 * this route for the gateway path and method, the route's own stripPrefix/rewrite must turn it
 * into an upstream path, and matchOperation must find this very operation for that path (what
 * request validation and mocks would use). A rewrite that cannot be read backwards yields no
 * operations, and the caller documents the route generically.
 */
export function operationsOfRoute(
  route: CompiledRoute,
  spec: CompiledSpec,
  table: RouteTable,
): GatewayOperation[] {
  const prefix = gatewayTemplateOf(route.config.path);
  const upstreamPrefix = route.toUpstreamPath(prefix);
  const host = sampleHost(route.config.host);
  const found: GatewayOperation[] = [];
  for (const entry of spec.paths) {
    const gatewayPath = candidatePath(prefix, upstreamPrefix, entry.template);
    if (gatewayPath === undefined) continue;
    const upstreamPath = route.toUpstreamPath(gatewayPath);
    for (const [method, operation] of entry.operations) {
      const routed = table.match(method, gatewayPath, host);
      if (routed.kind !== 'matched' || routed.match.route !== route) continue;
      const match = matchOperation(spec, method, upstreamPath);
      if (match.kind === 'found' && match.operation === operation)
        found.push({ gatewayPath, method, operation });
    }
  }
  return found;
}
