import path from 'node:path';
import type { ResolvedConfig, ResolvedRoute } from '../config/schema.js';
import { isGatewayError } from '../errors.js';
import { compileSpec, matchOperation } from '../openapi/compile-spec.js';
import { loadSpec } from '../openapi/load-spec.js';

/** What a route does with its service's OpenAPI document, as `gw routes list` shows it. */
export interface RouteOpenapi {
  /** The spec file, as the config names it. */
  spec: string;
  /** What is checked: 'request', 'response:warn', 'response:enforce'. */
  validated: string[];
  /** 'mock' (mock: 'openapi': always from the spec), 'fallback' (fallback: 'openapi': while the targets are down). */
  mocked: 'mock' | 'fallback' | null;
}

/** The route's OpenAPI marks, or undefined when its service has no spec. */
export function openapiOfRoute(route: ResolvedRoute, config: ResolvedConfig): RouteOpenapi | undefined {
  const service = route.service === undefined ? undefined : config.services[route.service];
  if (service?.openapi === undefined) return undefined;
  const validate = route.validate;
  const validated = [
    ...(validate?.request ? ['request'] : []),
    ...(validate?.response ? [`response:${validate.response}`] : []),
  ];
  const mocked = service.mock === 'openapi' ? 'mock' : service.fallback === 'openapi' ? 'fallback' : null;
  return { spec: service.openapi, validated, mocked };
}

/** `validate request+response:warn`, `mock:openapi`, `fallback:openapi` for the POLICIES column. */
export function formatOpenapi(marks: RouteOpenapi | undefined): string[] {
  if (!marks) return [];
  return [
    ...(marks.validated.length > 0 ? [`validate ${marks.validated.join('+')}`] : []),
    ...(marks.mocked ? [`${marks.mocked}:openapi`] : []),
  ];
}

/** The operation a request reaches in the route's spec, as `gw routes test` names it. */
export type OperationFound =
  | { found: true; operation: string; operationId: string | null; spec: string }
  | { found: false; reason: string; spec: string };

/**
 * Looks the upstream path up in the service's spec: `getPetById (GET /pet/{petId})`, or why no
 * operation answers (the 404 or 405 validation would give, or a spec that does not load).
 */
export function operationOfRequest(
  route: ResolvedRoute,
  config: ResolvedConfig,
  configDir: string,
  method: string,
  upstreamPath: string,
): OperationFound | undefined {
  const service = route.service === undefined ? undefined : config.services[route.service];
  if (service?.openapi === undefined) return undefined;
  const spec = path.relative(process.cwd(), path.resolve(configDir, service.openapi)) || service.openapi;
  let compiled;
  try {
    compiled = compileSpec(loadSpec(configDir, service.openapi));
  } catch (error) {
    const reason = isGatewayError(error) ? `${error.code}: ${error.message}` : String(error);
    return { found: false, reason: `the spec does not load (${reason})`, spec };
  }
  const match = matchOperation(compiled, method, upstreamPath.split('?')[0]!);
  if (match.kind === 'no-path')
    return { found: false, reason: `the spec has no path for ${upstreamPath} (404)`, spec };
  if (match.kind === 'no-method') {
    return {
      found: false,
      reason: `the spec's path has no ${method} operation, only ${match.allow.join(', ')} (405)`,
      spec,
    };
  }
  const { operation } = match;
  const id = operation.operation.operationId;
  return {
    found: true,
    operation: `${operation.method} ${operation.template}`,
    operationId: typeof id === 'string' ? id : null,
    spec,
  };
}

/** `getPetById (GET /pet/{petId}) in specs/petstore.json`. */
export function formatOperation(found: OperationFound): string {
  if (!found.found) return `none: ${found.reason}`;
  const name = found.operationId ? `${found.operationId} (${found.operation})` : found.operation;
  return `${name} in ${found.spec}`;
}
