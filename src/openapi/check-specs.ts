import type { ResolvedConfig, ResolvedRoute } from '../config/schema.js';
import type { ConfigProblem } from '../errors.js';
import { compileRoute } from '../pipeline/compile-route.js';
import { readSpec, specConfigProblem, type LoadedSpec } from './load-spec.js';
import { specsOf } from './spec-files.js';

const specMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Does the spec template `/pet/{petId}/uploadImage` lie at or below the upstream prefix `/pet/:id`? */
function isUnder(template: string, prefix: readonly string[]): boolean {
  const segments = template.split('/').filter(Boolean);
  if (segments.length < prefix.length) return false;
  return prefix.every((part, index) => {
    const segment = segments[index]!;
    // A route param takes any segment; a spec param takes any literal the route has there.
    return part.startsWith(':') || segment === part || /^\{[^}]+\}$/.test(segment);
  });
}

/** The methods a route's requests may use against the spec (a GET route answers HEAD too). */
function operationsUnder(spec: LoadedSpec, prefix: readonly string[], route: ResolvedRoute): number {
  const wanted = route.methods?.map((m) => m.toLowerCase());
  let count = 0;
  for (const [template, item] of Object.entries(spec.document.paths as Record<string, unknown>)) {
    if (!isRecord(item) || !isUnder(template, prefix)) continue;
    count += specMethods.filter(
      (method) =>
        method in item &&
        (!wanted || wanted.includes(method) || (method === 'get' && wanted.includes('head'))),
    ).length;
  }
  return count;
}

/**
 * What `gw check` says about a config's OpenAPI specs (issue 16, item 5), in the all-problems
 * format: a spec that cannot be read or parsed (file:line:col), a broken `$ref` (which one, and
 * where it is), and a route of a service with a spec that has no operation under the route's
 * path once stripPrefix / rewrite made it the upstream's path.
 */
export function checkOpenapiSpecs(config: ResolvedConfig, configDir: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const loaded = new Map<string, LoadedSpec>();
  for (const [name, file] of specsOf(config)) {
    const read = readSpec(configDir, file);
    if (read.spec) loaded.set(name, read.spec);
    for (const problem of read.problems)
      problems.push(specConfigProblem(`services.${name}.openapi`, problem));
  }
  config.routes.forEach((route, index) => {
    const spec = route.service === undefined ? undefined : loaded.get(route.service);
    // A rewrite function may do anything with the path: only the request itself can tell.
    if (!spec || typeof route.rewrite === 'function') return;
    const routePath = route.path.replace(/\/\*$/, '') || '/';
    const upstream = compileRoute(route).toUpstreamPath(routePath);
    const prefix = upstream.split('/').filter(Boolean);
    if (operationsUnder(spec, prefix, route) > 0) return;
    const methods = route.methods ? `${route.methods.join(', ')} ` : '';
    problems.push({
      path: `routes[${index}].path`,
      message: `${route.path} reaches ${upstream} upstream, and ${spec.file} has no ${methods}operation at or below it`,
      hint: "The spec's paths are the upstream's paths: check stripPrefix / rewrite, or add the operation to the spec.",
    });
  });
  return problems;
}
