import type { ResolvedService } from '../config/schema.js';
import { GatewayError } from '../errors.js';
import type { BuildContext, CompiledRoute } from '../pipeline/types.js';
import { compileSpec, type CompiledSpec } from './compile-spec.js';
import { loadSpec } from './load-spec.js';

/**
 * One compiled spec per service per build: every route of a service shares it, and a config
 * reload (a new BuildContext) reads the files again.
 */
const compiledByBuild = new WeakMap<BuildContext, Map<string, CompiledSpec>>();

/** The route's service and its compiled OpenAPI spec, or a config error naming the field. */
export function specOfRoute(
  route: CompiledRoute,
  build: BuildContext,
  field: string,
): { service: ResolvedService; spec: CompiledSpec } {
  const name = route.config.service;
  const service = name === undefined ? undefined : build.config.services[name];
  if (name === undefined || service?.openapi === undefined) {
    throw new GatewayError(
      'GW_CONFIG_INVALID',
      `Route ${route.id} sets ${field} but its service has no openapi document`,
      {
        problems: [
          {
            path: `routes[${route.id}].${field}`,
            message: `${field} needs the route's service to have an \`openapi\` document`,
            expected: name === undefined ? 'a service' : `services.${name}.openapi: './specs/${name}.yaml'`,
          },
        ],
      },
    );
  }
  let specs = compiledByBuild.get(build);
  if (!specs) compiledByBuild.set(build, (specs = new Map()));
  let spec = specs.get(name);
  if (!spec) specs.set(name, (spec = compileSpec(loadSpec(build.configDir, service.openapi))));
  return { service, spec };
}
