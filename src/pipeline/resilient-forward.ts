import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError, isGatewayError } from '../errors.js';
import type { EventStream } from '../events/event-stream.js';
import { isRetryable, type Forwarder, type ForwardMode } from '../proxy/forwarder.js';
import type { ForwardTimeouts } from '../proxy/forwarder-types.js';
import { createLocationRewrite, type LocationRewrite } from '../proxy/rewrite-location.js';
import type { UpstreamPool } from '../proxy/upstream-types.js';
import { declaresBody } from '../proxy/forward-headers.js';
import { pickTarget, serviceBreakers } from '../proxy/resilience/circuit-breaker-registry.js';
import {
  IDEMPOTENT_METHODS,
  readReplayableBody,
  RETRY_STATUSES,
  serviceRetries,
} from '../proxy/resilience/retries.js';
import type { BuildContext, CompiledRoute, GatewayContext } from './types.js';
import { noteUpstreamError, refusal, reportTry, routeTimeouts } from './upstream-tries.js';
import { answerBuffering, markOutcome, replaceUpstreamBody, upstreamBody } from './hooks.js';
import { endAttemptSpan, startAttemptSpan } from '../observe/trace/pipeline-spans.js';

/**
 * The forward for services with a circuit breaker or retries (issue 4). Each try goes to a target
 * whose breaker lets it through; a failure before any byte reached the client is retried on
 * another target when the method is idempotent, the retry budget allows and the route's time
 * budget is not spent (every try gets only what is left of it). Services without either go
 * through it too (one try, no bookkeeping to speak of): one path that reports upstream errors.
 */
export function createResilientForward(
  route: CompiledRoute,
  pool: UpstreamPool,
  forwarder: Forwarder,
  build: BuildContext,
) {
  const breakers = serviceBreakers(build, pool.name);
  const retries = serviceRetries(build, pool.name);
  const { events } = build;
  const service = build.config.services[pool.name];
  const timeouts = routeTimeouts(route, service);
  const location =
    (route.config.rewriteLocation ?? service?.rewriteLocation ?? true)
      ? createLocationRewrite(pool.targets, route.config.stripPrefix, route.config.rewrite !== undefined)
      : undefined;
  if (!breakers && !retries) return createDirectForward(pool, forwarder, events, timeouts, location);

  return async function resilientForward(ctx: GatewayContext): Promise<void> {
    const deadline = performance.now() + ctx.timeoutMs;
    let retriesLeft = retries && IDEMPOTENT_METHODS.has(ctx.method) ? retries.attempts : 0;
    if (retries) retries.budget.noteRequest(Date.now());
    // A body already streamed upstream cannot be sent again: keep small ones (the forwarder sends
    // a Buffer afresh on every try), retry them only on connect failures (the upstream never saw
    // them), and never retry the others.
    const bodied = retriesLeft > 0 && (upstreamBody(ctx) !== undefined || declaresBody(ctx.req.headers));
    if (bodied && upstreamBody(ctx) === undefined) {
      const body = await readBody(ctx);
      if (body) replaceUpstreamBody(ctx, body);
    }
    if (bodied && !Buffer.isBuffer(upstreamBody(ctx))) retriesLeft = 0;
    const buffer = answerBuffering(ctx);
    let tried: Set<string> | undefined;
    let lastError: GatewayError | undefined;
    for (let attempt = 0; ; attempt++) {
      const remaining = deadline - performance.now();
      if (attempt > 0) {
        if (remaining < 1 || ctx.res.closed) throw lastError!;
        // Set before the try: a streamed answer's request-finished event fires before web() settles.
        markOutcome(ctx, 'retries', attempt);
      }
      ctx.timeoutMs = Math.max(1, Math.round(remaining));
      const picked = pickTarget(
        pool,
        breakers,
        { req: ctx.req, clientIp: ctx.clientIp, exclude: tried },
        events,
      );
      if (!picked || isGatewayError(picked)) throw lastError ?? refusal(ctx, pool, picked);
      const mayRetry = retriesLeft > 0 && retries!.budget.allows(Date.now());
      const mode: ForwardMode = {
        timeouts,
        location,
        buffer,
        retryStatuses: mayRetry && !bodied ? RETRY_STATUSES : undefined,
        onHead:
          picked.breaker && ((status) => reportTry(picked, status >= 500 ? 'failure' : 'success', events)),
      };
      // One client span per try (telemetry on), named as the upstream's parent in its traceparent.
      const span = startAttemptSpan(ctx, attempt, picked.target.key);
      try {
        const response = await forwarder.web(ctx, pool, picked.target, mode);
        endAttemptSpan(ctx, span);
        reportTry(picked, 'cancel', events);
        if (buffer) ctx.response = response;
        return;
      } catch (error) {
        endAttemptSpan(ctx, span, error);
        reportTry(picked, 'failure', events);
        if (!isGatewayError(error)) throw error;
        noteUpstreamError(events, ctx, pool.name, picked.target.key, error);
        if (!mayRetry || !isRetryable(error) || !retries!.budget.spend(Date.now())) throw error;
        retriesLeft--;
        lastError = error;
        (tried ??= new Set()).add(picked.target.key);
        const wait = Math.min(retries!.delay(attempt + 1), deadline - performance.now());
        if (wait > 0) await sleep(wait);
      }
    }
  };
}

/**
 * A service with neither breaker nor retries: one try, no loop, no async frame around it. Most
 * routes of a dev setup are like this and it runs on every one of their requests: an interleaved
 * A/B of the bench measured the loop above at 7-10 % more CPU per request for this case (one path
 * was tried and given up for that). What it reports is the same: the try's span, the upstream
 * error event, the buffered answer.
 */
function createDirectForward(
  pool: UpstreamPool,
  forwarder: Forwarder,
  events: EventStream,
  timeouts: ForwardTimeouts,
  location: LocationRewrite | undefined,
) {
  const streaming: ForwardMode = { timeouts, location };
  return function directForward(ctx: GatewayContext): Promise<void> {
    const target = pool.pick(ctx);
    if (!target) return Promise.reject(refusal(ctx, pool, undefined));
    const buffer = answerBuffering(ctx);
    const span = startAttemptSpan(ctx, 0, target.key);
    return forwarder.web(ctx, pool, target, buffer ? { timeouts, location, buffer } : streaming).then(
      (response) => {
        endAttemptSpan(ctx, span);
        if (buffer) ctx.response = response;
      },
      (error: unknown) => {
        endAttemptSpan(ctx, span, error);
        if (isGatewayError(error)) noteUpstreamError(events, ctx, pool.name, target.key, error);
        throw error;
      },
    );
  };
}

async function readBody(ctx: GatewayContext): Promise<Buffer | undefined> {
  try {
    return await readReplayableBody(ctx.req);
  } catch (error) {
    throw new GatewayError('GW_BAD_REQUEST', 'The request body was cut off before it ended', {
      cause: error,
    });
  }
}
