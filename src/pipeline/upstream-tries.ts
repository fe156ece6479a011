import type { GatewayError } from '../errors.js';
import type { EventStream } from '../events/event-stream.js';
import type { ResolvedService } from '../config/schema.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  type ForwardTimeouts,
} from '../proxy/forwarder-types.js';
import type { PickedTarget } from '../proxy/resilience/circuit-breaker-registry.js';
import { settle } from '../proxy/resilience/circuit-breaker.js';
import { noHealthyTarget } from '../proxy/upstream-errors.js';
import type { UpstreamPool } from '../proxy/upstream-types.js';
import { answeredBy } from './hooks.js';
import type { CompiledRoute, GatewayContext } from './types.js';

/**
 * What every loop of upstream tries shares, HTTP forwards (resilient-forward.ts) and transcoded
 * gRPC calls (protocols/grpc/transcode/grpc-resilient-call.ts) alike: the route's clocks, the
 * breaker report of a try, the refusal when no target can be tried, the upstream-error event.
 */

/** The route's connect and idle limits: the route's own, else the service's, else the defaults. */
export function routeTimeouts(route: CompiledRoute, service: ResolvedService | undefined): ForwardTimeouts {
  return {
    connectMs: route.config.connectTimeout ?? service?.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
    idleMs: route.config.idleTimeout ?? service?.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_MS,
  };
}

/** Reports a try to its target's breaker, once: the head decides; a try without one failed or was cancelled. */
export function reportTry(
  picked: PickedTarget,
  outcome: 'success' | 'failure' | 'cancel',
  events: EventStream,
): void {
  const breaker = picked.breaker;
  if (!breaker || picked.ticket < 0) return;
  settle(breaker, picked.ticket, outcome, Date.now(), events);
  picked.ticket = -1;
}

/** No target to try: every breaker refused (`error`, GW_CIRCUIT_OPEN), or none is healthy. */
export function refusal(
  ctx: GatewayContext,
  pool: UpstreamPool,
  error: GatewayError | undefined,
): GatewayError {
  if (error) {
    answeredBy(ctx, 'circuit-breaker', error.message);
    return error;
  }
  return noHealthyTarget(pool);
}

/** A try that failed before any answer, for the log and the dashboard. */
export function noteUpstreamError(
  events: EventStream,
  ctx: GatewayContext,
  service: string,
  target: string,
  error: GatewayError,
): void {
  if (!events.wants('upstream-error')) return;
  events.emit({
    type: 'upstream-error',
    at: Date.now(),
    id: ctx.id,
    service,
    target,
    code: error.code,
    message: error.message,
  });
}
