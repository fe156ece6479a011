/**
 * One canonical path per request, used for matching AND forwarding, so a route's policies can
 * never be bypassed by spelling a path differently: percent-encoded slashes and unreserved
 * characters (letters, digits, `-._~`: `/%61dmin` is `/admin`, RFC 3986 §6.2.2.2) are decoded,
 * duplicate slashes collapse and dot-segments are resolved (RFC 3986 §5.2.4). A path that climbs
 * above the root is refused rather than clamped: no honest client sends one. So is a dot-segment
 * carrying `;parameters` (`/public/..;/admin`): gw matches it as a plain name, but Tomcat and Spring
 * drop the parameters and climb, reaching a route whose policies never ran (CVE-2018-1271 class).
 */
export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: string };

const needsWork = /%|\/\/|\/\.|\\/;

/** `..;x`, `.;`, `..%3b`: a dot-segment once what follows its first `;` (raw or escaped) is dropped. */
const dotSegmentWithParams = /^\.\.?(;|%3b)/i;

/** %XX of an unreserved character, or of a slash or backslash (read as a path separator). */
function decodeEscape(escape: string, hex: string): string {
  const code = parseInt(hex, 16);
  if (code === 0x2f || code === 0x5c) return '/';
  const unreserved =
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    code === 0x2d ||
    code === 0x2e ||
    code === 0x5f ||
    code === 0x7e;
  return unreserved ? String.fromCharCode(code) : escape;
}

export function normalizePath(rawPath: string): NormalizedPath {
  if (rawPath.length === 0 || rawPath[0] !== '/') return { ok: false, reason: 'the path must start with /' };
  // Fast path: most request paths have nothing to normalise.
  if (!needsWork.test(rawPath)) return { ok: true, path: rawPath };
  const decoded = rawPath.replace(/%([0-9a-f]{2})/gi, decodeEscape).replace(/\\/g, '/');
  const output: string[] = [];
  const segments = decoded.split('/');
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    if (segment === '' && !last) continue;
    if (dotSegmentWithParams.test(segment))
      return { ok: false, reason: `'${rawPath}' has a dot-segment with ;parameters` };
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
