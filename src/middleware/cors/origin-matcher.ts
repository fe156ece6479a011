import type { ResolvedCors } from './cors-schema.js';

export type OriginMatcher = ((origin: string) => boolean) & { readonly any: boolean };

function wildcardPattern(origin: string): RegExp {
  const escaped = origin.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${escaped}$`, 'i');
}

/** Compiles `origins` once: exact strings in a set, wildcard strings and RegExps as patterns. */
export function compileOrigins(origins: ResolvedCors['origins']): OriginMatcher {
  if (origins === '*') return Object.assign(() => true, { any: true });
  const list = Array.isArray(origins) ? origins : [origins];
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const entry of list) {
    if (entry instanceof RegExp) patterns.push(new RegExp(entry.source, entry.flags.replace(/[gy]/g, '')));
    else if (entry.includes('*')) patterns.push(wildcardPattern(entry));
    else exact.add(entry.replace(/\/+$/, '').toLowerCase());
  }
  const matches = (origin: string) => exact.has(origin.toLowerCase()) || patterns.some((p) => p.test(origin));
  return Object.assign(matches, { any: false });
}
