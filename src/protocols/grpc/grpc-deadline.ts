import { GatewayError } from '../../errors.js';
import { sendProblem } from '../../pipeline/problem.js';
import { answeredWithError, markOutcome } from '../../pipeline/hooks.js';
import type { GatewayContext } from '../../pipeline/types.js';
import { formatGrpcTimeout, parseGrpcTimeout } from './grpc-timeout.js';

/**
 * A call's deadline (grpc-timeout, counted from when the call reached gw) capped by the route's
 * `timeout` (else the service's): the upstream gets what is left of it as its own grpc-timeout,
 * so a gRPC server ends the call itself; gw's forward waits no longer than that for the answer's
 * head; and when the deadline passes with the call still open, gw ends it with
 * DEADLINE_EXCEEDED (trailers-only, or trailers after a head) and the forward resets the
 * upstream stream. A call without grpc-timeout has no deadline (gRPC's default): gw's usual
 * clocks apply (`timeout` until the head, `idleTimeout` while either side is silent).
 *
 * Returns a function that stops the clock once the call is over; undefined without a deadline.
 */
export function startCallDeadline(ctx: GatewayContext, service: string): (() => void) | undefined {
  const given = ctx.upstreamHeaders['grpc-timeout'];
  if (typeof given !== 'string') return undefined;
  const asked = parseGrpcTimeout(given);
  if (asked === undefined) {
    throw new GatewayError('GW_BAD_REQUEST', `grpc-timeout "${given}" is not a gRPC timeout`, {
      hint: 'Send grpc-timeout as up to 8 digits and a unit (H, M, S, m, u, n), e.g. 500m.',
    });
  }
  const capped = ctx.timeoutMs < asked;
  const budget = Math.min(asked, ctx.timeoutMs);
  const left = budget - (performance.now() - ctx.startedAt);
  const timeout = () =>
    new GatewayError(
      'GW_UPSTREAM_TIMEOUT',
      capped
        ? `${service} did not finish the call within the route's timeout of ${budget} ms (the call asked for ${Math.ceil(asked)} ms)`
        : `${service} did not finish the call within its deadline of ${Math.ceil(asked)} ms`,
      capped
        ? {}
        : { hint: 'The client set this deadline (grpc-timeout); raise it, or make the service faster.' },
    );
  if (left < 1) throw timeout();
  ctx.upstreamHeaders['grpc-timeout'] = formatGrpcTimeout(left);
  ctx.timeoutMs = Math.min(ctx.timeoutMs, Math.ceil(left));
  const timer = setTimeout(() => {
    const res = ctx.res;
    if (res.writableEnded || res.destroyed) return;
    const error = timeout();
    markOutcome(ctx, 'reason', error.message);
    answeredWithError(ctx, error);
    sendProblem(res, error, { requestId: ctx.id, instance: ctx.path, headers: ctx.responseHeaders });
  }, left);
  return () => clearTimeout(timer);
}
