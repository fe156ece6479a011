import type { ConfigProblem } from '../errors.js';
import { didYouMean } from './did-you-mean.js';
import { formatPath, renderValue } from './format-issues.js';
import { routeId } from './route-id.js';
import { routeSchema } from './schema.js';

type Loose = Record<string, unknown>;

/**
 * Keys that let a route answer a request. Later capabilities add theirs (mock, aggregate); only
 * the keys the schema knows are named in the message, so it never mentions a feature that
 * does not exist yet.
 */
const answeringKeys = ['service', 'mock', 'aggregate'];

function isObject(value: unknown): value is Loose {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkAnswers(route: Loose, at: string): ConfigProblem[] {
  const known = answeringKeys.filter((key) => key in routeSchema.shape);
  if (known.some((key) => route[key] !== undefined)) return [];
  // A misspelt `sevice` is already reported as an unknown key with its correction.
  const misspelt = Object.keys(route).some(
    (key) => !(key in routeSchema.shape) && didYouMean(key, known) !== undefined,
  );
  if (misspelt) return [];
  const [first, ...others] = known.map((key) => `\`${key}\``);
  return [
    {
      path: at,
      message: `a route needs ${first}${others.length ? ` (or ${others.join(' / ')})` : ''}`,
      hint: "name the service that answers it, e.g. service: 'users'",
    },
  ];
}

/** `scopes` are checked against a verified credential: without `auth` they could never pass. */
function checkScopes(route: Loose, at: string): ConfigProblem[] {
  const scopes = route.scopes;
  if (!Array.isArray(scopes) || scopes.length === 0) return [];
  if (route.auth !== undefined && route.auth !== false) return [];
  return [
    {
      path: `${at}.scopes`,
      message: 'needs `auth` on the route: scopes come from a verified key or token',
      hint: "add auth: 'apiKey', 'jwt' or ['apiKey', 'jwt']",
    },
  ];
}

/** The gateway answers these paths itself; a route there would never be reached. */
const reservedPaths = ['/__gw', '/.well-known/jwks.json'];
function checkReservedPath(route: Loose, at: string): ConfigProblem[] {
  const path = route.path;
  if (typeof path !== 'string') return [];
  const reserved = reservedPaths.find((p) => path === p || path.startsWith(`${p}/`));
  if (!reserved) return [];
  return [
    {
      path: `${at}.path`,
      message: `${reserved} is reserved for the gateway's own endpoints`,
      received: renderValue(path),
      hint: 'choose another path',
    },
  ];
}

function checkService(route: Loose, at: string, services: string[]): ConfigProblem[] {
  const name = route.service;
  if (typeof name !== 'string' || services.includes(name)) return [];
  const suggestion = didYouMean(name, services);
  const problem: ConfigProblem = { path: `${at}.service`, message: `no service '${name}'` };
  if (services.length > 0) problem.expected = `one of ${services.map((s) => `'${s}'`).join(', ')}`;
  problem.hint = suggestion ? `did you mean '${suggestion}'?` : `add '${name}' under \`services\``;
  return [problem];
}

/** Each aggregate part names a service, like a route: `{ name: part }` or `{ parts, merge }`. */
function checkAggregateServices(route: Loose, at: string, services: string[]): ConfigProblem[] {
  const aggregate = route.aggregate;
  if (!isObject(aggregate)) return [];
  const wrapped = isObject(aggregate.parts) && typeof aggregate.parts.service !== 'string';
  const parts = wrapped ? (aggregate.parts as Loose) : aggregate;
  const base = wrapped ? `${at}.aggregate.parts` : `${at}.aggregate`;
  return Object.entries(parts).flatMap(([name, part]) =>
    isObject(part) ? checkService(part, `${base}.${name}`, services) : [],
  );
}

/**
 * stripPrefix is compared segment by segment: a `:param` or `*` in the route path matches any
 * segment. A literal mismatch means the prefix can never be stripped, which is always a mistake.
 */
function checkStripPrefix(route: Loose, at: string): ConfigProblem[] {
  const { path, stripPrefix } = route;
  if (typeof path !== 'string' || typeof stripPrefix !== 'string') return [];
  const pathSegments = path.split('/').filter(Boolean);
  const prefixSegments = stripPrefix.split('/').filter(Boolean);
  for (const [i, segment] of prefixSegments.entries()) {
    const own = pathSegments[i];
    if (own === undefined || own === '*') return [];
    if (own.startsWith(':')) continue;
    if (own !== segment) {
      const literal = pathSegments.slice(0, Math.max(1, i)).filter((s) => !s.startsWith(':') && s !== '*');
      return [
        {
          path: `${at}.stripPrefix`,
          message: `is not a prefix of the route path '${path}'`,
          received: renderValue(stripPrefix),
          hint: literal.length
            ? `use a leading part of the path, such as '/${literal.join('/')}'`
            : 'use a leading part of the route path',
        },
      ];
    }
  }
  return [];
}

/**
 * Rules that span fields, run after the schema. Written defensively over loosely typed input so
 * they also run when the schema found problems: the user sees every problem in one pass.
 */
export function checkConfigRules(config: unknown): ConfigProblem[] {
  if (!isObject(config) || !Array.isArray(config.routes)) return [];
  const services = isObject(config.services) ? Object.keys(config.services) : [];
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, number>();
  config.routes.forEach((route: unknown, index) => {
    if (!isObject(route)) return;
    const at = formatPath(['routes', index]);
    problems.push(
      ...checkAnswers(route, at),
      ...checkService(route, at, services),
      ...checkStripPrefix(route, at),
      ...checkAggregateServices(route, at, services),
      ...checkScopes(route, at),
      ...checkReservedPath(route, at),
    );
    if (typeof route.path !== 'string') return;
    const methods = Array.isArray(route.methods)
      ? route.methods.map((m) => String(m).toUpperCase())
      : undefined;
    const id = routeId({
      name: typeof route.name === 'string' ? route.name : undefined,
      path: route.path,
      methods,
      host: typeof route.host === 'string' ? route.host : undefined,
    });
    const earlier = seen.get(id);
    if (earlier === undefined) seen.set(id, index);
    else
      problems.push({
        path: at,
        message: `has the same id as routes[${earlier}] ('${id}')`,
        hint: 'two identical routes can never both match: remove one, or give each its own `name`',
      });
  });
  return problems;
}
