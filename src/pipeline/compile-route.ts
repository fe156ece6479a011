import type { ResolvedRoute } from '../config/schema.js';
import { routeId } from '../config/route-id.js';
import type { CompiledRoute } from './types.js';

/** Builds, once per config load, what matching and path shaping need for one route. */
export function compileRoute(config: ResolvedRoute): CompiledRoute {
  return {
    id: routeId(config),
    config,
    methods: config.methods ? allowedMethods(config.methods) : undefined,
    toUpstreamPath: compileUpstreamPath(config),
  };
}

function compileUpstreamPath(config: ResolvedRoute): (path: string) => string {
  const strip = config.stripPrefix ? stripPrefixAtSegment(config.stripPrefix.replace(/\/+$/, '')) : undefined;
  const rewrite = config.rewrite;
  let rewriteFn: ((path: string) => string) | undefined;
  if (typeof rewrite === 'function') rewriteFn = rewrite;
  else if (rewrite) {
    const from = new RegExp(rewrite.from);
    rewriteFn = (path) => path.replace(from, rewrite.to);
  }
  if (!strip && !rewriteFn) return (path) => path;
  if (!rewriteFn) return strip!;
  if (!strip) return ensureLeadingSlash(rewriteFn);
  return ensureLeadingSlash((path) => rewriteFn(strip(path)));
}

/** '/api' strips '/api/users' → '/users' and '/api' → '/', but never '/apix' (segment-aware). */
function stripPrefixAtSegment(prefix: string): (path: string) => string {
  if (prefix === '') return (path) => path;
  return (path) => {
    if (!path.startsWith(prefix)) return path;
    const rest = path.slice(prefix.length);
    if (rest === '') return '/';
    return rest[0] === '/' ? rest : path;
  };
}

function ensureLeadingSlash(fn: (path: string) => string): (path: string) => string {
  return (path) => {
    const result = fn(path);
    return result.startsWith('/') ? result : '/' + result;
  };
}

/** A route that serves GET serves HEAD too (RFC 9110 §9.3.2: HEAD is GET without the body). */
function allowedMethods(methods: readonly string[]): Set<string> {
  const set = new Set(methods);
  if (set.has('GET')) set.add('HEAD');
  return set;
}
