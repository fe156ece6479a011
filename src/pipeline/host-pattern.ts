/**
 * Host names as routes and `tls.hosts` write them: an exact name (`api.localhost`) or a leading
 * `*.` that stands for one or more labels (`*.preview.localhost` matches `a.preview.localhost`
 * and `a.b.preview.localhost`, not `preview.localhost`). Compared lowercase, port ignored
 * (RFC 9110 §4.2.3: the host is case-insensitive).
 */

// One DNS label (RFC 1123 §2.1: letters, digits, hyphens inside; `_` as local setups use it).
const label = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const hostName = new RegExp(`^${label}(?:\\.${label})*$`);

export interface HostPatternProblem {
  message: string;
  hint: string;
}

/** Why `pattern` is not a host name or `*.` wildcard, or undefined when it is one. */
export function hostPatternProblem(pattern: string): HostPatternProblem | undefined {
  const lower = pattern.toLowerCase();
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(lower)) {
    const host = lower.replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/[/:?#].*$/, '');
    return { message: 'is a URL, not a host name', hint: `write only the host name, e.g. '${host}'` };
  }
  if (lower === '*' || lower === '*.')
    return { message: 'is not a host name', hint: 'leave `host` out to match every host' };
  const name = lower.startsWith('*.') ? lower.slice(2) : lower;
  if (/:\d*$/.test(name) && !name.includes('::'))
    return {
      message: 'has a port; the port is not part of the host match',
      hint: `write '${pattern.replace(/:\d*$/, '')}' (any port matches)`,
    };
  if (name.includes('*'))
    return {
      message: 'has a `*` that is not a leading `*.` label',
      hint: "a wildcard stands for the leftmost labels only, e.g. '*.preview.localhost'",
    };
  if (name.endsWith('.')) return { message: 'ends with a dot', hint: `write '${pattern.slice(0, -1)}'` };
  if (name.length > 253 || !hostName.test(name))
    return {
      message: 'is not a host name',
      hint: "use letters, digits, '-' and dots, e.g. 'api.localhost' or '*.preview.localhost'",
    };
  return undefined;
}

/** Whether `name` is one exact host name (lowercase), not a pattern. */
export function isHostName(name: string): boolean {
  return name.length <= 253 && hostName.test(name);
}

/** The host name of a Host header (or `:authority`): lowercase, no port, brackets or trailing dot. */
export function hostnameOfHeader(host: string): string {
  let name: string;
  if (host.charCodeAt(0) === 91 /* [ */) {
    const end = host.indexOf(']');
    name = host.slice(1, end < 0 ? undefined : end);
  } else {
    const colon = host.indexOf(':');
    name = colon < 0 ? host : host.slice(0, colon);
  }
  if (name.charCodeAt(name.length - 1) === 46 /* . */) name = name.slice(0, -1);
  return name.toLowerCase();
}

/** `*.preview.localhost` → `.preview.localhost`; an exact name → undefined. */
export function wildcardSuffix(pattern: string): string | undefined {
  return pattern.startsWith('*.') ? pattern.slice(1).toLowerCase() : undefined;
}

/**
 * The suffixes of a host name at each dot, longest first: `a.b.localhost` → `.b.localhost`,
 * `.localhost`. A `*.` wildcard's suffix is one of these exactly when it matches the host.
 */
export function* labelSuffixes(hostname: string): Generator<string> {
  for (let dot = hostname.indexOf('.'); dot >= 0; dot = hostname.indexOf('.', dot + 1)) {
    yield hostname.slice(dot);
  }
}

/** A matcher over a set of host patterns, built once: one Set lookup plus one per label. */
export function createHostMatcher(patterns: Iterable<string>): (hostname: string) => boolean {
  const exact = new Set<string>();
  const suffixes = new Set<string>();
  for (const pattern of patterns) {
    const suffix = wildcardSuffix(pattern);
    if (suffix) suffixes.add(suffix);
    else exact.add(pattern.toLowerCase());
  }
  return (hostname) => {
    if (exact.has(hostname)) return true;
    if (suffixes.size === 0) return false;
    for (const suffix of labelSuffixes(hostname)) if (suffixes.has(suffix)) return true;
    return false;
  };
}
