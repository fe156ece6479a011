import { Counter, Gauge, Registry } from 'prom-client';
import { KeyedHistogram, RequestCounter } from './request-tallies.js';
import type { GatewayEvent, RequestFinished } from '../events/gateway-events.js';
import type { EventType } from '../events/event-stream.js';
import type { GatewayState } from '../state/types.js';

/** Seconds; from a cache hit (sub-millisecond) to a slow upstream. */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BREAKER_VALUES = { closed: 0, 'half-open': 1, open: 2 } as const;
const NO_ROUTE = '(none)';

/** Per-request events the metrics never read (subscribe with `{ skip: metricsSkip }`). */
export const metricsSkip: readonly EventType[] = ['request-started', 'limit-checked', 'auth-failed'];

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Feeds one event into the metrics (subscribe it to the event stream once per process). */
  observe(event: GatewayEvent): void;
}

/**
 * The Prometheus metrics of one gw process, fed only from the event stream: middlewares never
 * touch them. Its own registry (not prom-client's global one), so several gateways in one process
 * (tests, embedders) never mix their numbers.
 */
export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  const requests = new RequestCounter(
    'gw_requests_total',
    'Requests answered, by route, method and status class',
    registry,
  );
  const duration = new KeyedHistogram(
    'gw_request_duration_seconds',
    'Time from request to finished answer, by route',
    'route',
    LATENCY_BUCKETS,
    registry,
  );
  const upstreamDuration = new KeyedHistogram(
    'gw_upstream_duration_seconds',
    'Time until the upstream answered, by service',
    'service',
    LATENCY_BUCKETS,
    registry,
  );
  const upstreamErrors = new Counter({
    name: 'gw_upstream_errors_total',
    help: 'Upstream calls that failed (connect, reset, timeout, retryable status), by service, target and code',
    labelNames: ['service', 'target', 'code'] as const,
    registers,
  });
  const retries = new Counter({
    name: 'gw_retries_total',
    help: 'Retries made, by route',
    labelNames: ['route'] as const,
    registers,
  });
  const breakers = new Gauge({
    name: 'gw_circuit_breaker_state',
    help: 'Circuit breaker state per target: 0 closed, 1 half-open, 2 open',
    labelNames: ['service', 'target'] as const,
    registers,
  });
  const cache = new Counter({
    name: 'gw_cache_requests_total',
    help: 'Cache lookups by route and result (HIT, MISS, BYPASS)',
    labelNames: ['route', 'result'] as const,
    registers,
  });
  const limited = new Counter({
    name: 'gw_rate_limited_total',
    help: 'Requests refused by a rate limit, by route',
    labelNames: ['route'] as const,
    registers,
  });
  const partial = new Counter({
    name: 'gw_aggregate_partial_total',
    help: 'Aggregated answers with a failed optional part, by route',
    labelNames: ['route'] as const,
    registers,
  });
  const grpcCalls = new Counter({
    name: 'gw_grpc_calls_total',
    help: 'gRPC and gRPC-Web calls by route and the grpc-status they ended with (OK, UNAVAILABLE …)',
    labelNames: ['route', 'grpc_status'] as const,
    registers,
  });
  const drift = new Counter({
    name: 'gw_openapi_drift_total',
    help: "Upstream answers that broke their OpenAPI operation on validate.response 'warn' routes (served anyway), by route",
    labelNames: ['route'] as const,
    registers,
  });
  const reloads = new Counter({
    name: 'gw_config_reloads_total',
    help: 'Config reloads by result (loaded, rejected)',
    labelNames: ['result'] as const,
    registers,
  });

  function observeRequest(event: RequestFinished): void {
    const route = event.routeId ?? NO_ROUTE;
    requests.count(route, event.method, event.status);
    duration.record(route, event.durationMs / 1000);
    if (event.upstreamMs !== undefined && event.service !== undefined) {
      upstreamDuration.record(event.service, event.upstreamMs / 1000);
    }
    const { outcome } = event;
    if (outcome.cache) cache.inc({ route, result: outcome.cache });
    if (outcome.limited) limited.inc({ route });
    if (outcome.retries) retries.inc({ route }, outcome.retries);
    if (outcome.partial) partial.inc({ route });
    if (event.grpcStatus !== undefined) grpcCalls.inc({ route, grpc_status: event.grpcStatus });
    if (outcome.drift) drift.inc({ route });
  }

  return {
    registry,
    observe(event) {
      switch (event.type) {
        case 'request-finished':
          return observeRequest(event);
        case 'upstream-error':
          return upstreamErrors.inc({ service: event.service, target: event.target, code: event.code });
        case 'breaker-state':
          return breakers.set({ service: event.service, target: event.target }, BREAKER_VALUES[event.state]);
        case 'config-loaded':
          if (!event.initial) reloads.inc({ result: 'loaded' });
          return;
        case 'config-rejected':
          return reloads.inc({ result: 'rejected' });
      }
    },
  };
}

const perState = new WeakMap<GatewayState, GatewayMetrics>();

/** The metrics of the process that owns `state` (created on first use; live as long as it). */
export function metricsOf(state: GatewayState): GatewayMetrics {
  let metrics = perState.get(state);
  if (!metrics) perState.set(state, (metrics = createGatewayMetrics()));
  return metrics;
}
