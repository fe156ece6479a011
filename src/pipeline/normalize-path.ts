/**
 * One canonical path per request, used for matching AND forwarding, so a route's policies can
 * never be bypassed by spelling a path differently: percent-encoded dots and slashes are decoded,
 * duplicate slashes collapse and dot-segments are resolved (RFC 3986 §5.2.4). A path that climbs
 * above the root is refused rather than clamped: no honest client sends one.
 */
export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: string };

const needsWork = /%2e|%2f|%5c|\/\/|\/\.|\\/i;

export function normalizePath(rawPath: string): NormalizedPath {
  if (rawPath.length === 0 || rawPath[0] !== '/') return { ok: false, reason: 'the path must start with /' };
  // Fast path: most request paths have nothing to normalise.
  if (!needsWork.test(rawPath)) return { ok: true, path: rawPath };
  const decoded = rawPath.replace(/%2e/gi, '.').replace(/%2f/gi, '/').replace(/%5c/gi, '/').replace(/\\/g, '/');
  const output: string[] = [];
  const segments = decoded.split('/');
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    if (segment === '' && !last) continue;
    if (segment === '.') {
      if (last) output.push('');
      continue;
    }
    if (segment === '..') {
      if (output.length === 0) return { ok: false, reason: `'${rawPath}' climbs above the root` };
      output.pop();
      if (last) output.push('');
      continue;
    }
    output.push(segment);
  }
  return { ok: true, path: '/' + output.join('/') };
}

/** Splits a request target into its path and its query string (with '?', or ''). */
export function splitUrl(url: string): { path: string; search: string } {
  const q = url.indexOf('?');
  return q === -1 ? { path: url, search: '' } : { path: url.slice(0, q), search: url.slice(q) };
}
