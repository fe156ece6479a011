import type { ConfigProblem } from '../errors.js';
import { hostPatternProblem } from '../pipeline/host-pattern.js';
import { formatPath, renderValue } from './format-issues.js';

/**
 * Host patterns in routes[].host and tls.hosts: each an exact host name or a `*.` wildcard. Run
 * after the schema over loosely typed input, like the other cross-field rules, so every problem
 * shows in one pass.
 */
export function checkHostPatterns(config: unknown): ConfigProblem[] {
  if (config === null || typeof config !== 'object') return [];
  const { routes, tls } = config as Record<string, unknown>;
  const found: Array<{ path: (string | number)[]; value: string }> = [];
  if (Array.isArray(routes))
    routes.forEach((route: unknown, index) => {
      const host =
        route !== null && typeof route === 'object' ? (route as { host?: unknown }).host : undefined;
      if (typeof host === 'string') found.push({ path: ['routes', index, 'host'], value: host });
    });
  const hosts = tls !== null && typeof tls === 'object' ? (tls as { hosts?: unknown }).hosts : undefined;
  if (Array.isArray(hosts))
    hosts.forEach((host: unknown, index) => {
      if (typeof host === 'string') found.push({ path: ['tls', 'hosts', index], value: host });
    });
  return found.flatMap(({ path, value }) => {
    const problem = hostPatternProblem(value);
    if (!problem) return [];
    return [
      {
        path: formatPath(path),
        message: problem.message,
        expected: "a host name like 'api.localhost' or a wildcard like '*.preview.localhost'",
        received: renderValue(value),
        hint: problem.hint,
      },
    ];
  });
}
