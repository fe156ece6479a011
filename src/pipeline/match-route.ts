import { hostnameOfHeader, labelSuffixes, wildcardSuffix } from './host-pattern.js';
import type { CompiledRoute } from './types.js';

/**
 * Routes in a segment trie, so matching costs the depth of the path, not the number of routes.
 * A route matches its own path and everything below it at a segment boundary; the most specific
 * wins whatever the file order: at each segment a literal beats a `:param`, which beats a
 * trailing `*`, which beats a route that already ended (so longer beats shorter).
 */
interface TrieNode {
  literal: Map<string, TrieNode>;
  param: TrieNode | undefined;
  /** Routes whose pattern ends in `*` here. */
  wildcard: CompiledRoute[];
  /** Routes whose pattern ends here. */
  routes: CompiledRoute[];
}

export interface RouteMatch {
  route: CompiledRoute;
  params: Record<string, string>;
}

export type MatchResult =
  | { kind: 'matched'; match: RouteMatch }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

export interface RouteTable {
  /**
   * The route for a request. `host` is the Host header (or `:authority`), port and case ignored;
   * without it only routes that name no `host` can match.
   */
  match(method: string, path: string, host?: string): MatchResult;
  /** Routes that can never win for some methods because an equally specific earlier route takes them. */
  readonly shadowed: ReadonlyArray<{ route: CompiledRoute; by: CompiledRoute; methods: string[] }>;
}

interface Pattern {
  segments: string[];
  /** [segment index, param name] for each `:param`. */
  params: Array<[number, string]>;
  wildcard: boolean;
}

function parsePattern(path: string): Pattern {
  const segments = path.split('/').filter((s) => s.length > 0);
  const wildcard = segments[segments.length - 1] === '*';
  if (wildcard) segments.pop();
  const params: Array<[number, string]> = [];
  segments.forEach((segment, index) => {
    if (segment.startsWith(':')) params.push([index, segment.slice(1)]);
  });
  return { segments, params, wildcard };
}

function createNode(): TrieNode {
  return { literal: new Map(), param: undefined, wildcard: [], routes: [] };
}

const patternKey = (p: Pattern) =>
  p.segments.map((s) => (s.startsWith(':') ? ':' : s)).join('/') + (p.wildcard ? '/*' : '');

/** What one search collects: the winner, or the methods the routes with this path allow. */
interface Search {
  method: string;
  segments: string[];
  found: CompiledRoute | undefined;
  allowed: Set<string> | undefined;
}

function insert(root: TrieNode, route: CompiledRoute, pattern: Pattern): void {
  let node = root;
  for (const segment of pattern.segments) {
    if (segment.startsWith(':')) node = node.param ??= createNode();
    else {
      let child = node.literal.get(segment);
      if (!child) node.literal.set(segment, (child = createNode()));
      node = child;
    }
  }
  (pattern.wildcard ? node.wildcard : node.routes).push(route);
}

/**
 * The most specific route of one trie for the search's path and method (path rules only). Module
 * functions, not closures made per search: closures made on every request are compiled again
 * after every full garbage collection (seen with --trace-opt).
 */
function search(root: TrieNode, s: Search): boolean {
  return visit(root, 0, s);
}

function visit(node: TrieNode, i: number, s: Search): boolean {
  if (i < s.segments.length) {
    const segment = s.segments[i]!;
    const child = node.literal.get(segment);
    if (child && visit(child, i + 1, s)) return true;
    if (node.param && segment.length > 0 && visit(node.param, i + 1, s)) return true;
  }
  if (node.wildcard.length > 0 && consider(node.wildcard, s)) return true;
  return node.routes.length > 0 && consider(node.routes, s);
}

function consider(candidates: CompiledRoute[], s: Search): boolean {
  for (const route of candidates) {
    if (route.methods === undefined || route.methods.has(s.method)) {
      s.found = route;
      return true;
    }
    s.allowed ??= new Set();
    for (const m of route.methods) s.allowed.add(m);
  }
  return false;
}

/**
 * Host first, then path: a route naming the exact host beats a `*.` wildcard host (the longer
 * suffix first), which beats a route without `host`; within each, the path rules above. One trie
 * per exact host and per wildcard suffix, so a request costs a Map lookup per label of its host
 * on top of the path walk, whatever the number of routes.
 */
export function createRouteTable(routes: readonly CompiledRoute[]): RouteTable {
  const anyHost = createNode();
  const exactHosts = new Map<string, TrieNode>();
  const wildcardHosts = new Map<string, TrieNode>();
  const patterns = new Map<CompiledRoute, Pattern>();
  const byKey = new Map<string, CompiledRoute[]>();
  const shadowed: Array<{ route: CompiledRoute; by: CompiledRoute; methods: string[] }> = [];

  for (const route of routes) {
    const pattern = parsePattern(route.config.path);
    patterns.set(route, pattern);
    const host = route.config.host?.toLowerCase();
    const suffix = host === undefined ? undefined : wildcardSuffix(host);
    let root = anyHost;
    if (host !== undefined) {
      const tries = suffix === undefined ? exactHosts : wildcardHosts;
      const key = suffix ?? host;
      root = tries.get(key) ?? createNode();
      tries.set(key, root);
    }
    insert(root, route, pattern);

    const key = `${host ?? ''} ${patternKey(pattern)}`;
    const same = byKey.get(key) ?? [];
    for (const earlier of same) {
      const overlap = overlappingMethods(earlier, route);
      if (overlap.length > 0) shadowed.push({ route, by: earlier, methods: overlap });
    }
    byKey.set(key, [...same, route]);
  }
  const byHost = exactHosts.size > 0 || wildcardHosts.size > 0;

  function toMatch(route: CompiledRoute, segments: string[]): RouteMatch {
    const pattern = patterns.get(route)!;
    if (pattern.params.length === 0 && !pattern.wildcard) return { route, params: {} };
    const params: Record<string, string> = {};
    for (const [index, name] of pattern.params) params[name] = safeDecode(segments[index] ?? '');
    if (pattern.wildcard) params['*'] = segments.slice(pattern.segments.length).join('/');
    return { route, params };
  }

  function searchHosts(s: Search, host: string): boolean {
    const hostname = hostnameOfHeader(host);
    const exact = exactHosts.get(hostname);
    if (exact && search(exact, s)) return true;
    if (wildcardHosts.size === 0) return false;
    for (const suffix of labelSuffixes(hostname)) {
      const trie = wildcardHosts.get(suffix);
      if (trie && search(trie, s)) return true;
    }
    return false;
  }

  return {
    shadowed,
    match(method, path, host) {
      const segments = path.split('/');
      segments.shift();
      const s: Search = { method, segments, found: undefined, allowed: undefined };
      if ((byHost && host !== undefined && searchHosts(s, host)) || search(anyHost, s))
        return { kind: 'matched', match: toMatch(s.found!, segments) };
      if (s.allowed) return { kind: 'method-not-allowed', allowed: [...s.allowed].sort() };
      return { kind: 'not-found' };
    },
  };
}

function overlappingMethods(a: CompiledRoute, b: CompiledRoute): string[] {
  // The methods as written (not the implied HEAD), so the report reads like the config.
  const am = a.config.methods;
  const bm = b.config.methods;
  if (am === undefined) return bm ? [...bm] : ['*'];
  if (bm === undefined) return [...am];
  return bm.filter((m) => am.includes(m));
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The route paths closest to a path nobody serves (for the 404 answer; never on the hot path). */
export function closestRoutes(routes: readonly CompiledRoute[], path: string, count = 3): string[] {
  const scored = routes.map((route) => ({
    path: route.config.path,
    score: similarity(route.config.path, path),
  }));
  scored.sort((a, b) => b.score - a.score);
  return [...new Set(scored.slice(0, count).map((s) => s.path))];
}

function similarity(a: string, b: string): number {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  return prefix * 2 - Math.abs(a.length - b.length) * 0.1;
}
