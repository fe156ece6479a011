import type { RouteSummary } from '../events/gateway-events.js';
import type { BuiltGateway } from '../pipeline/build-gateway.js';

/** The route table as views show it: methods, path, service and targets per route. */
export function summarizeRoutes(gateway: BuiltGateway): RouteSummary[] {
  return gateway.routes.map((route) => ({
    id: route.id,
    methods: route.config.methods ? [...route.config.methods] : [],
    path: route.config.path,
    ...(route.config.service ? { service: route.config.service } : {}),
    targets: route.config.service
      ? (gateway.upstreams.get(route.config.service)?.targets.map((t) => t.key) ?? [])
      : [],
  }));
}
