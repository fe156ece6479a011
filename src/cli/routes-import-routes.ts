import type { LoadedSpec } from '../openapi/load-spec.js';

const specMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** One route `gw routes import` proposes: a path template of the spec in gw's path syntax. */
export interface ImportedRoute {
  path: string;
  methods: string[];
  service: string;
  stripPrefix?: string;
  /** The spec's own path templates behind it (two templates may share one gw path). */
  templates: string[];
}

/** `api/`, `/api/` and `/api` are the same prefix; `/` is none. */
export function normalizePrefix(prefix: string | undefined): string | undefined {
  if (prefix === undefined) return undefined;
  const trimmed = '/' + prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '/' ? undefined : trimmed;
}

/**
 * `/pet/{petId}` → `/pet/:petId`. gw's params span a whole segment, so a segment such as
 * `{name}.json` becomes `:name` (the route matches a little more than the spec; request
 * validation, when on, still holds the request to the spec's template).
 */
export function gwPathOf(template: string): string {
  const segments = template.split('/').map((segment) => {
    const param = /\{([^}/]+)\}/.exec(segment)?.[1];
    return param === undefined ? segment : `:${param.replace(/[^A-Za-z0-9_]/g, '_')}`;
  });
  const joined = segments.join('/').replace(/\/+$/, '');
  return joined === '' ? '/' : joined;
}

/**
 * The routes an OpenAPI document implies for a service: one per path template, with the methods
 * the spec lists there, under `prefix` with a `stripPrefix` that takes it off again, since the
 * spec's paths are the upstream's paths. In the spec's order; templates that are the same gw path
 * (`/a/{x}` and `/a/{y}`) share one route.
 */
export function routesOfSpec(
  spec: LoadedSpec,
  options: { service: string; prefix?: string | undefined },
): ImportedRoute[] {
  const prefix = normalizePrefix(options.prefix);
  const byShape = new Map<string, ImportedRoute>();
  const paths = spec.document.paths as Record<string, unknown>;
  for (const [template, item] of Object.entries(paths)) {
    if (item === null || typeof item !== 'object') continue;
    const methods = specMethods.filter((method) => method in item).map((m) => m.toUpperCase());
    if (methods.length === 0) continue;
    const own = gwPathOf(template);
    const path = prefix === undefined ? own : own === '/' ? prefix : prefix + own;
    // Param names differ, the matched paths do not: `/a/:x` and `/a/:y` are one route.
    const shape = path.replace(/\/:[^/]+/g, '/:');
    const existing = byShape.get(shape);
    if (existing) {
      existing.templates.push(template);
      for (const method of methods) if (!existing.methods.includes(method)) existing.methods.push(method);
      continue;
    }
    byShape.set(shape, {
      path,
      methods,
      service: options.service,
      ...(prefix === undefined ? {} : { stripPrefix: prefix }),
      templates: [template],
    });
  }
  return [...byShape.values()];
}

/** A string as a single-quoted JS literal. */
function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `{ path: '/api/pet', methods: ['PUT', 'POST'], service: 'petstore', stripPrefix: '/api' }`. */
export function routeLiteral(route: ImportedRoute): string {
  const fields = [
    `path: ${quote(route.path)}`,
    `methods: [${route.methods.map(quote).join(', ')}]`,
    `service: ${quote(route.service)}`,
    ...(route.stripPrefix === undefined ? [] : [`stripPrefix: ${quote(route.stripPrefix)}`]),
  ];
  return `{ ${fields.join(', ')} }`;
}

/** The same route as a JSON object (for gateway.config.json and .yaml). */
export function routeObject(route: ImportedRoute): Record<string, unknown> {
  return {
    path: route.path,
    methods: route.methods,
    service: route.service,
    ...(route.stripPrefix === undefined ? {} : { stripPrefix: route.stripPrefix }),
  };
}

/** A service name as an object key: bare when it is an identifier. */
export function keyLiteral(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : quote(name);
}

export { quote as quoteLiteral };
