import type { ResolvedConfig } from '../../config/schema.js';
import type { CompiledRoute } from '../../pipeline/types.js';
import { gwResponsesOf, problemRef, securityOf } from './gw-components.js';
import { templateParams, type GatewayOperation } from './route-paths.js';
import { operationTo31 } from './schema-to-3-1.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Methods documented for a route that takes any (TRACE is refused unless listed). */
const anyMethod = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const withBody = new Set(['POST', 'PUT', 'PATCH']);
/** The methods a Path Item can hold; others (PURGE, PROPFIND …) have no place in OpenAPI. */
const openapiMethods = new Set(['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE']);

/** What one route contributes: operations by gateway path, then by lower-case method. */
export type RoutePaths = Map<string, Map<string, Json>>;

/** What the document builder knows of the route's service and its spec. */
export interface RouteSource {
  readonly service?: string;
  /** Answered by targets (not a mock): the upstream failures 502/503/504 can happen. */
  readonly proxied: boolean;
  readonly spec?: {
    readonly version: '3.0' | '3.1';
    readonly operations: readonly GatewayOperation[];
    /** Path-level parameters by the spec's path template. */
    readonly pathParameters: ReadonlyMap<string, readonly Json[]>;
  };
  /** Why the service's spec could not be used, when it has one. */
  readonly specProblem?: string;
}

/** Path-level parameters, overridden by the operation's own of the same name and location. */
function mergeParameters(lists: ReadonlyArray<readonly unknown[] | undefined>): Json[] {
  const byKey = new Map<string, Json>();
  for (const list of lists)
    for (const param of list ?? [])
      if (isObject(param)) byKey.set(`${String(param.in)}:${String(param.name)}`, param);
  return [...byKey.values()];
}

/** Declares the gateway path's own `{params}` that the operation does not (a route's `:name`). */
function withPathParams(gatewayPath: string, parameters: Json[]): Json[] {
  const declared = new Set(parameters.filter((p) => p.in === 'path').map((p) => p.name));
  const missing = templateParams(gatewayPath).filter((name) => !declared.has(name));
  return [
    ...parameters,
    ...missing.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
  ];
}

/** Adds gw's own answers; where the spec already lists the status, problem+json joins its content. */
function withGwResponses(
  responses: Json,
  route: CompiledRoute,
  config: ResolvedConfig,
  proxied: boolean,
): Json {
  const merged: Json = { ...responses };
  for (const [status, name] of gwResponsesOf(route.config, config, proxied)) {
    const own = merged[status];
    if (!isObject(own)) {
      merged[status] = { $ref: `#/components/responses/${name}` };
      continue;
    }
    const content = isObject(own.content) ? own.content : {};
    if (!('application/problem+json' in content)) {
      merged[status] = {
        ...own,
        content: { ...content, 'application/problem+json': { schema: problemRef } },
      };
    }
  }
  return merged;
}

function specOperation(
  route: CompiledRoute,
  config: ResolvedConfig,
  source: RouteSource,
  found: GatewayOperation,
  pathParameters: readonly Json[],
): Json {
  const raw = found.operation.operation;
  // Operation-level servers name the upstream: calling them would go around the gateway. The
  // spec's own security is the upstream's business; what the gateway requires replaces it.
  const { servers: _servers, security: _security, ...operation } = raw;
  const converted = source.spec?.version === '3.0' ? operationTo31(operation) : operation;
  const parameters = withPathParams(
    found.gatewayPath,
    mergeParameters([pathParameters, Array.isArray(converted.parameters) ? converted.parameters : []]),
  );
  return {
    ...converted,
    tags: [source.service ?? 'gateway'],
    ...(parameters.length > 0 ? { parameters } : {}),
    security: securityOf(route.config),
    responses: withGwResponses(
      isObject(converted.responses) ? converted.responses : {},
      route,
      config,
      source.proxied,
    ),
  };
}

function genericOperation(
  route: CompiledRoute,
  config: ResolvedConfig,
  source: RouteSource,
  gatewayPath: string,
  method: string,
): Json {
  const target = source.service === undefined ? 'answered by gw' : `forwarded to service ${source.service}`;
  const notes = [
    `Route ${route.id}: ${target}, with every path below ${gatewayPath}.`,
    ...(route.config.methods === undefined
      ? ['The route takes any method; the common ones are listed.']
      : []),
    ...(route.config.websocket ? ['WebSocket upgrades are allowed.'] : []),
    ...(source.specProblem === undefined
      ? []
      : [`The service's OpenAPI document was not used: ${source.specProblem}`]),
  ];
  const parameters = withPathParams(gatewayPath, []);
  return {
    summary: `${method} ${gatewayPath}`,
    description: notes.join(' '),
    tags: [source.service ?? 'gateway'],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(withBody.has(method) ? { requestBody: { required: false, content: { '*/*': { schema: {} } } } } : {}),
    security: securityOf(route.config),
    responses: withGwResponses(
      { default: { description: `The answer of ${source.service ?? 'the route'}` } },
      route,
      config,
      source.proxied,
    ),
  };
}

/**
 * The operations a route publishes: its service spec's operations at their gateway paths, or,
 * without a spec (or when none of its operations is reachable through the route), one generic
 * operation per method at the route's path.
 */
export function routePaths(
  route: CompiledRoute,
  config: ResolvedConfig,
  source: RouteSource,
  gatewayTemplate: string,
): RoutePaths {
  const paths: RoutePaths = new Map();
  const add = (path: string, method: string, operation: Json) => {
    let item = paths.get(path);
    if (!item) paths.set(path, (item = new Map()));
    if (!item.has(method.toLowerCase())) item.set(method.toLowerCase(), operation);
  };
  const spec = source.spec;
  if (spec && spec.operations.length > 0) {
    for (const found of spec.operations) {
      const pathParameters = spec.pathParameters.get(found.operation.template) ?? [];
      add(found.gatewayPath, found.method, specOperation(route, config, source, found, pathParameters));
    }
    return paths;
  }
  const methods = (route.config.methods ?? anyMethod).filter((method) => openapiMethods.has(method));
  for (const method of methods)
    add(gatewayTemplate, method, genericOperation(route, config, source, gatewayTemplate, method));
  return paths;
}
