import type { ResolvedConfig, ResolvedRoute } from '../config/schema.js';
import type { GrpcMethod, HttpBinding } from '../protocols/grpc/proto/grpc-methods.js';
import { serviceProtos } from '../protocols/grpc/proto/service-protos.js';

/** What `gw routes list` shows of a route to a gRPC service with a proto. */
export interface GrpcRouteMethods {
  /** On gRPC routes: the proto's methods whose :path the route covers. */
  methods?: { method: string; kind: string }[];
  /** On transcode routes: each REST route the annotations declare, and the fallbacks. */
  rest?: { verb: string; path: string; method: string; body: string }[];
}

function kindOf(method: GrpcMethod): string {
  if (method.clientStreaming && method.serverStreaming) return 'bidi streaming';
  if (method.clientStreaming) return 'client streaming';
  if (method.serverStreaming) return 'server streaming';
  return 'unary';
}

const nameOf = (method: GrpcMethod) => `${method.service}/${method.name}`;

/** The route's path covers `path` at a segment boundary (as the route table matches). */
function covers(routePath: string, path: string): boolean {
  const prefix = routePath.replace(/\/\*?$/, '');
  return path === prefix || path.startsWith(prefix + '/');
}

function protoApiOf(route: ResolvedRoute, config: ResolvedConfig, configDir: string) {
  const service = route.service === undefined ? undefined : config.services[route.service];
  if (!service || service.protocol !== 'grpc') return undefined;
  const protos = serviceProtos(service, configDir);
  return protos?.ok ? protos.api : undefined;
}

/** Methods reached without an annotation: POST /package.Service/Method with a JSON body. */
function fallbacksOf(methods: readonly GrpcMethod[], bindings: readonly HttpBinding[]): GrpcMethod[] {
  const annotated = new Set(bindings.map((binding) => binding.method));
  return methods.filter((method) => !annotated.has(method));
}

export function grpcRouteMethods(
  route: ResolvedRoute,
  config: ResolvedConfig,
  configDir: string,
): GrpcRouteMethods | undefined {
  const api = protoApiOf(route, config, configDir);
  if (!api) return undefined;
  if (route.transcode !== true) {
    const methods = api.methods.filter((method) => covers(route.path, method.path));
    return { methods: methods.map((method) => ({ method: nameOf(method), kind: kindOf(method) })) };
  }
  const rest = [
    ...api.bindings.map((binding) => ({
      verb: binding.verb,
      path: binding.template.source,
      method: nameOf(binding.method),
      body: binding.body,
    })),
    ...fallbacksOf(api.methods, api.bindings).map((method) => ({
      verb: 'POST',
      path: method.path,
      method: nameOf(method),
      body: '*',
    })),
  ].filter((entry) => covers(route.path, entry.path.replace(/[{*].*$/, '')));
  return { rest };
}

/** The lines under a route in `gw routes list`. */
export function formatGrpcRouteMethods(found: GrpcRouteMethods): string[] {
  if (found.methods)
    return found.methods.length
      ? found.methods.map((entry) => `gRPC ${entry.method} (${entry.kind})`)
      : ['gRPC: no method of the proto is under this path'];
  return (found.rest ?? []).map(
    (entry) =>
      `${entry.verb} ${entry.path} → ${entry.method}${entry.body === '' ? '' : ` (body ${entry.body === '*' ? 'is the message' : `fills ${entry.body}`})`}`,
  );
}

/** How `gw routes test` explains the gRPC side of a matched route: which method, which fields. */
export function explainGrpcCall(
  route: ResolvedRoute,
  config: ResolvedConfig,
  configDir: string,
  method: string,
  path: string,
  search: string,
): { method?: string; fields?: Record<string, string>; why: string[] } | undefined {
  const api = protoApiOf(route, config, configDir);
  if (!api) return undefined;
  if (route.transcode !== true) {
    const called = api.methods.find((candidate) => candidate.path === path);
    if (!called) return { why: [`${path} names no method of the proto (the service answers UNIMPLEMENTED)`] };
    return { method: nameOf(called), why: [`calls gRPC ${nameOf(called)} (${kindOf(called)})`] };
  }
  for (const binding of api.bindings) {
    if (binding.verb !== method) continue;
    const variables = binding.template.match(path);
    if (!variables) continue;
    const fields: Record<string, string> = { ...variables };
    const query = new URLSearchParams(search);
    if (binding.body !== '*') for (const [name, value] of query) fields[name] ??= value;
    return {
      method: nameOf(binding.method),
      fields,
      why: [
        `google.api.http ${binding.verb} ${binding.template.source} on ${nameOf(binding.method)} (${kindOf(binding.method)}) matches`,
        ...Object.entries(variables).map(([field, value]) => `path sets ${field} = ${JSON.stringify(value)}`),
        ...(binding.body === '*'
          ? ['the JSON body is the request message']
          : [
              ...(binding.body ? [`the JSON body fills ${binding.body}`] : []),
              ...[...query].map(([name, value]) => `query sets ${name} = ${JSON.stringify(value)}`),
            ]),
      ],
    };
  }
  const direct = method === 'POST' ? api.methods.find((candidate) => candidate.path === path) : undefined;
  if (direct)
    return {
      method: nameOf(direct),
      fields: {},
      why: [`POST ${direct.path} calls ${nameOf(direct)} with the JSON body as the request message`],
    };
  return { why: [`no google.api.http annotation answers ${method} ${path} (404 GW_TRANSCODE_NO_METHOD)`] };
}
