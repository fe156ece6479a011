import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';
import { sendProblem } from './problem.js';
import type { GatewayState } from '../state/types.js';
import type { UpstreamRegistry } from '../proxy/upstream-types.js';
import type { CompiledRoute } from './types.js';
import { metricsOf } from '../metrics/gateway-metrics.js';
import { METRICS_PATH, sendMetrics } from '../metrics/metrics-endpoint.js';
import { JWKS_PATH, sendJwks } from '../identity/jwks-endpoint.js';
import { HAR_PATH, sendHar } from '../observe/har-endpoint.js';
import { REQUESTS_PATH, sendRequests } from '../observe/inspect/requests-endpoint.js';
import { OPENAPI_PATH, sendOpenapiDocument, type ExportView } from '../openapi/export/export-document.js';
import { isDocsPath, sendDocs } from '../openapi/export/docs-page.js';

/**
 * Endpoints the gateway answers itself, under a reserved prefix no route may use. A table, so a
 * capability adds an endpoint with one line.
 */
export const adminPrefix = '/__gw/';

/**
 * What the admin endpoints read of a built gateway, and no more: its routes, its upstreams' health,
 * and the process state (store health, signing keys, the metrics and HAR kept per state); the
 * OpenAPI export also reads the route table and what the gateway was built from (ExportView).
 */
export interface AdminView extends ExportView {
  readonly routes: readonly CompiledRoute[];
  readonly upstreams: Pick<UpstreamRegistry, 'get' | 'pools'>;
  readonly state: GatewayState;
}

type AdminEndpoint = (gateway: AdminView, req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const endpoints = new Map<string, AdminEndpoint>([
  [
    '/__gw/health',
    (gateway, _req, res) => {
      const report = healthReport(gateway);
      // Without its shared store gw cannot keep its promises (limits, keys, a shared cache): a
      // load balancer or readiness probe should look elsewhere until the store is back.
      sendJson(res, report.store?.status === 'down' ? 503 : 200, report);
    },
  ],
  ['/__gw/routes', (gateway, _req, res) => sendJson(res, 200, routeReport(gateway))],
  [METRICS_PATH, (gateway, _req, res) => sendMetrics(res, metricsOf(gateway.state))],
  [JWKS_PATH, (gateway, _req, res) => sendJwks(res, gateway.state.signingKeys)],
  [HAR_PATH, (gateway, req, res) => sendHar(gateway.state, req, res)],
  [REQUESTS_PATH, (gateway, req, res) => sendRequests(gateway.state, req, res, REQUESTS_PATH)],
  [OPENAPI_PATH, (gateway, _req, res) => sendOpenapiDocument(gateway, res)],
]);

export function isAdminPath(path: string): boolean {
  return path.startsWith(adminPrefix) || endpoints.has(path);
}

export function handleAdmin(
  gateway: AdminView,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): void {
  // The API reference page and its assets live below one prefix (src/openapi/export/docs-page.ts).
  const endpoint: AdminEndpoint | undefined =
    endpoints.get(path) ??
    (isDocsPath(path) ? (_gateway, req, res) => sendDocs(req, res, path) : undefined) ??
    // One kept request with its bodies: /__gw/requests/:id.
    (path.startsWith(`${REQUESTS_PATH}/`)
      ? (view, req, res) => sendRequests(view.state, req, res, path)
      : undefined);
  if (!endpoint) {
    sendProblem(
      res,
      new GatewayError('GW_ROUTE_NOT_FOUND', `No admin endpoint ${path}`, {
        hint: `Try ${[...endpoints.keys()].join(', ')}`,
      }),
    );
    return;
  }
  Promise.resolve(endpoint(gateway, req, res)).catch((error: unknown) =>
    sendProblem(res, new GatewayError('GW_INTERNAL', `Admin endpoint ${path} failed`, { cause: error })),
  );
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value, null, 2);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/**
 * A target is `unknown` until first probed or used, then healthy or unhealthy; `ok` only when
 * every service has a target known to be healthy, `degraded` when one has only unhealthy ones
 * or the shared state store (Redis) cannot be reached.
 */
function healthReport(gateway: AdminView) {
  const services = Object.fromEntries(
    gateway.upstreams.pools().map((pool) => {
      const states = pool.targets.map((t) => t.state);
      const state = states.includes('healthy')
        ? 'healthy'
        : states.includes('unknown')
          ? 'unknown'
          : 'unhealthy';
      return [
        pool.name,
        {
          state,
          healthy: state === 'healthy',
          targets: pool.targets.map((t) => ({
            url: t.key,
            state: t.state,
            healthy: t.state === 'healthy',
            inFlight: t.inFlight,
            reason: t.reason ?? null,
          })),
        },
      ];
    }),
  );
  const states = Object.values(services).map((s) => s.state);
  const shared = gateway.state.store;
  const store = shared && { kind: shared.kind, url: shared.where, status: shared.ready() ? 'up' : 'down' };
  const status =
    states.includes('unhealthy') || store?.status === 'down'
      ? 'degraded'
      : states.includes('unknown')
        ? 'unknown'
        : 'ok';
  return { status, services, ...(store ? { store } : {}) };
}

function routeReport(gateway: AdminView) {
  return gateway.routes.map((route) => ({
    id: route.id,
    path: route.config.path,
    methods: route.config.methods ?? ['*'],
    service: route.config.service ?? null,
    targets: route.config.service
      ? (gateway.upstreams.get(route.config.service)?.targets.map((t) => t.key) ?? [])
      : [],
    websocket: route.config.websocket,
    policies: policyNames(route.config),
  }));
}

const corePolicyKeys = new Set([
  'name',
  'path',
  'methods',
  'service',
  'websocket',
  'stripPrefix',
  'rewrite',
  'timeout',
]);

/** The route keys that turn on behaviour beyond plain forwarding (for route listings). */
export function policyNames(route: object): string[] {
  return Object.entries(route)
    .filter(([key, value]) => !corePolicyKeys.has(key) && value !== undefined && value !== false)
    .map(([key]) => key);
}
