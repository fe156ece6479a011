import type { ConfigProblem } from '../errors.js';
import { formatPath } from '../config/format-issues.js';

/**
 * Cross-field rules of `healthCheck`: HTTP services are probed with GET on `path`, gRPC services
 * with grpc.health.v1.Health/Check (https://github.com/grpc/grpc/blob/master/doc/health-checking.md),
 * so each needs its own fields and rejects the other's rather than ignoring them silently.
 */
export function checkHealthCheckFields(config: unknown): ConfigProblem[] {
  if (config === null || typeof config !== 'object') return [];
  const services = (config as { services?: unknown }).services;
  if (services === null || typeof services !== 'object') return [];
  const problems: ConfigProblem[] = [];
  for (const [name, service] of Object.entries(services as Record<string, unknown>)) {
    if (service === null || typeof service !== 'object') continue;
    const { healthCheck, protocol } = service as { healthCheck?: unknown; protocol?: unknown };
    if (healthCheck === null || typeof healthCheck !== 'object') continue;
    const { path, grpcService } = healthCheck as { path?: unknown; grpcService?: unknown };
    const at = (field: string) => formatPath(['services', name, 'healthCheck', field]);
    if (protocol === 'grpc') {
      if (path !== undefined)
        problems.push({
          path: at('path'),
          message: 'gRPC services are probed with grpc.health.v1.Health/Check, not a path',
          hint: "remove path; set grpcService to ask about one service's health instead of the server's",
        });
    } else {
      if (path === undefined)
        problems.push({
          path: at('path'),
          message: 'missing',
          expected: "the path probed with GET, e.g. '/health'",
          hint: "add path: '/health' (a path your service answers with 2xx when it is up)",
        });
      if (grpcService !== undefined)
        problems.push({
          path: at('grpcService'),
          message: "applies to protocol: 'grpc' services only",
          hint: "remove grpcService, or set protocol: 'grpc' on the service",
        });
    }
  }
  return problems;
}
