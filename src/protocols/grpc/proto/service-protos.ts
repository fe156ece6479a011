import path from 'node:path';
import type { ConfigProblem } from '../../../errors.js';
import { readProtoApi, type ProtoApi } from './grpc-methods.js';
import { loadProtos } from './load-protos.js';

/** What a service's `proto` and `includeDirs` say (the config's shape, read before or after parsing). */
interface ProtoFields {
  readonly protocol?: string;
  readonly proto?: string | readonly string[];
  readonly includeDirs?: readonly string[];
}

export type ServiceProtos =
  | { ok: true; api: ProtoApi; files: readonly string[] }
  | { ok: false; message: string; files: readonly string[] };

/**
 * Loaded once per config load: the config check loads a service's protos and the build reuses
 * them (keyed by the service's own object, which the frozen config keeps).
 */
const loadedByService = new WeakMap<object, ServiceProtos>();

export function serviceProtos(service: ProtoFields, configDir: string): ServiceProtos | undefined {
  if (service.proto === undefined) return undefined;
  const known = loadedByService.get(service);
  if (known) return known;
  const files = (typeof service.proto === 'string' ? [service.proto] : service.proto).map((file) =>
    path.resolve(configDir, file),
  );
  // Read before the schema said it is valid too (a failed load still watches its files).
  const given = Array.isArray(service.includeDirs)
    ? service.includeDirs.filter((dir) => typeof dir === 'string')
    : [];
  const includeDirs = [...given.map((dir) => path.resolve(configDir, dir)), configDir];
  const load = loadProtos({ files, includeDirs });
  const result: ServiceProtos = load.ok
    ? { ok: true, api: readProtoApi(load.root), files: load.files }
    : { ok: false, message: load.message, files: load.files };
  loadedByService.set(service, result);
  return result;
}

/**
 * Every proto file a config's services read, missing ones included (gw dev watches them like the
 * config, so fixing or creating one reloads). Takes the config as loaded, valid or not.
 */
export function protoFilesOf(config: object, configDir: string): string[] {
  const services = (config as { services?: unknown }).services;
  const files = new Set<string>();
  if (!isRecord(services)) return [];
  for (const service of Object.values(services)) {
    if (!isRecord(service) || !isProtoList(service.proto)) continue;
    for (const file of serviceProtos(service, configDir)?.files ?? []) files.add(file);
  }
  return [...files];
}

/**
 * Proto problems in the config's all-problems list: files that are missing or do not parse
 * (file:line:col), annotations naming fields that do not exist, and `transcode` on a route whose
 * service is not a gRPC one with a proto.
 */
export function checkProtoConfig(raw: unknown, configDir: string): ConfigProblem[] {
  if (raw === null || typeof raw !== 'object') return [];
  const config = raw as { services?: unknown; routes?: unknown };
  const services = isRecord(config.services) ? (config.services as Record<string, ProtoFields>) : {};
  const problems: ConfigProblem[] = [];
  for (const [name, service] of Object.entries(services)) {
    if (!isRecord(service) || !isProtoList(service.proto)) continue;
    const loaded = serviceProtos(service, configDir);
    if (!loaded) continue;
    if (!loaded.ok) {
      problems.push({
        path: `services.${name}.proto`,
        message: loaded.message,
        hint: "paths are relative to the config file's folder; imports are looked up beside the importing file, then in includeDirs",
      });
      continue;
    }
    for (const message of loaded.api.problems) {
      problems.push({
        path: `services.${name}.proto`,
        message,
        hint: 'fix the google.api.http annotation: its path variables and body name fields of the request message',
      });
    }
  }
  const routes = Array.isArray(config.routes) ? (config.routes as unknown[]) : [];
  routes.forEach((route, index) => {
    if (!isRecord(route) || route.transcode !== true) return;
    const serviceName = typeof route.service === 'string' ? route.service : undefined;
    const service = serviceName === undefined ? undefined : services[serviceName];
    if (!service || !isRecord(service)) return;
    if (service.protocol !== 'grpc' || service.proto === undefined) {
      problems.push({
        path: `routes[${index}].transcode`,
        message: `transcode needs a gRPC service with a proto, and ${serviceName} ${service.protocol !== 'grpc' ? `is protocol: '${service.protocol ?? 'http1'}'` : 'has no proto'}`,
        expected: "a service with protocol: 'grpc' and proto: './path/to/service.proto'",
        hint: `set protocol: 'grpc' and proto on service ${serviceName}, or drop transcode from the route`,
      });
    }
  });
  return problems;
}

function isProtoList(value: unknown): value is string | string[] {
  return (
    typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'))
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
