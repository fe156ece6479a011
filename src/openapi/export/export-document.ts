import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { isGatewayError } from '../../errors.js';
import type { RouteTable } from '../../pipeline/match-route.js';
import type { BuildContext, CompiledRoute } from '../../pipeline/types.js';
import type { CompiledSpec } from '../compile-spec.js';
import { loadSpec } from '../load-spec.js';
import { specOfRoute } from '../spec-registry.js';
import { authMethodsOf, gwComponents, type AuthMethod } from './gw-components.js';
import { routePaths, type RouteSource } from './route-operations.js';
import { gatewayTemplateOf, operationsOfRoute } from './route-paths.js';

export const OPENAPI_PATH = '/__gw/openapi.json';

type Json = Record<string, unknown>;

/** What the export reads of a built gateway: its routes, its route table and what it was built from. */
export interface ExportView {
  readonly routes: readonly CompiledRoute[];
  readonly table: RouteTable;
  readonly buildContext: BuildContext;
}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A service's spec as the export uses it, or why it could not be read. */
interface ServiceSpec {
  readonly compiled?: CompiledSpec;
  readonly version?: '3.0' | '3.1';
  readonly pathParameters: ReadonlyMap<string, readonly Json[]>;
  readonly problem?: string;
  readonly tag: Json;
}

/**
 * Reads a service's spec: the compiled one from the registry (shared with validation and mocks
 * in this build) for matching, and its document for what compiling drops (path-level
 * parameters, the title). A spec that does not load leaves its routes documented generically.
 */
function readServiceSpec(route: CompiledRoute, build: BuildContext, name: string): ServiceSpec {
  const file = build.config.services[name]!.openapi!;
  try {
    const { spec: compiled } = specOfRoute(route, build, 'service');
    const loaded = loadSpec(build.configDir, file);
    const pathParameters = new Map<string, Json[]>();
    for (const [template, item] of Object.entries(loaded.document.paths as Json)) {
      if (isObject(item) && Array.isArray(item.parameters))
        pathParameters.set(template, item.parameters.filter(isObject));
    }
    const info = isObject(loaded.document.info) ? loaded.document.info : {};
    const title = typeof info.title === 'string' ? info.title : name;
    const description = typeof info.description === 'string' ? `${title}: ${info.description}` : title;
    return { compiled, version: loaded.version, pathParameters, tag: { name, description } };
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    return { pathParameters: new Map(), problem: `${error.code} ${error.message}`, tag: { name } };
  }
}

/** operationIds are unique in a document: the service's name first, then a counter on a clash. */
function assignOperationIds(paths: Map<string, Map<string, Json>>): void {
  const taken = new Set<string>();
  for (const [path, item] of paths) {
    for (const [method, operation] of item) {
      const tag = Array.isArray(operation.tags) ? String(operation.tags[0]) : 'gateway';
      const own = typeof operation.operationId === 'string' ? operation.operationId : undefined;
      const slug = path
        .replace(/[{}]/g, '')
        .replace(/[^A-Za-z0-9]+/g, '_')
        .replace(/^_|_$/g, '');
      const base = `${tag}_${own ?? `${method}_${slug || 'root'}`}`;
      let id = base;
      for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
      taken.add(id);
      operation.operationId = id;
    }
  }
}

/**
 * The gateway's public surface as one OpenAPI 3.1 document: every route at the gateway's paths,
 * with its service's operations where the service has a spec, the auth it requires, and the
 * answers gw itself gives (problem+json, 429 with rate-limit headers, upstream failures).
 */
export function buildGatewayDocument(view: ExportView): Json {
  const build = view.buildContext;
  const { config } = build;
  const specs = new Map<string, ServiceSpec>();
  const paths = new Map<string, Map<string, Json>>();
  const usedAuth = new Set<AuthMethod>();
  const tags = new Map<string, Json>();
  for (const route of view.routes) {
    const name = route.config.service;
    const service = name === undefined ? undefined : config.services[name];
    let spec: ServiceSpec | undefined;
    if (name !== undefined && service?.openapi !== undefined) {
      spec = specs.get(name) ?? readServiceSpec(route, build, name);
      specs.set(name, spec);
    }
    const source: RouteSource = {
      ...(name === undefined ? {} : { service: name }),
      proxied: service !== undefined && service.mock !== 'openapi' && route.config.mock === undefined,
      ...(spec?.compiled && spec.version
        ? {
            spec: {
              version: spec.version,
              operations: operationsOfRoute(route, spec.compiled, view.table),
              pathParameters: spec.pathParameters,
            },
          }
        : {}),
      ...(spec?.problem === undefined ? {} : { specProblem: spec.problem }),
    };
    for (const method of authMethodsOf(route.config)) usedAuth.add(method);
    tags.set(name ?? 'gateway', spec?.tag ?? { name: name ?? 'gateway' });
    for (const [path, item] of routePaths(route, config, source, gatewayTemplateOf(route.config.path))) {
      let merged = paths.get(path);
      if (!merged) paths.set(path, (merged = new Map()));
      // Two routes on one path and method: the first keeps it, as the route table's shadowing does.
      for (const [method, operation] of item) if (!merged.has(method)) merged.set(method, operation);
    }
  }
  assignOperationIds(paths);
  const body = {
    paths: Object.fromEntries([...paths].map(([path, item]) => [path, Object.fromEntries(item)])),
    components: gwComponents(config, usedAuth),
  };
  const version = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 12);
  return {
    openapi: '3.1.0',
    info: {
      title: 'gw gateway',
      version,
      description:
        "Every route this gateway serves, at the gateway's paths. Operations come from each service's OpenAPI document where it has one; errors gw answers itself are RFC 9457 problem+json (the `Problem` schema). The version changes whenever the config does.",
    },
    servers: [{ url: '/', description: 'This gateway' }],
    tags: [...tags.values()],
    ...body,
  };
}

/** One serialised document per config load: built on the first request, then reused. */
const documents = new WeakMap<BuildContext, Buffer>();

export function sendOpenapiDocument(view: ExportView, res: ServerResponse): void {
  let body = documents.get(view.buildContext);
  if (!body) {
    body = Buffer.from(JSON.stringify(buildGatewayDocument(view), null, 2));
    documents.set(view.buildContext, body);
  }
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': body.length,
    'cache-control': 'no-store',
  });
  res.end(body);
}
