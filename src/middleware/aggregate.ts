import type { OutgoingHttpHeaders } from 'node:http';
import { GatewayError } from '../errors.js';
import type { GatewayContext, PolicyFactory } from '../pipeline/types.js';
import { serviceBreakers } from '../proxy/resilience/circuit-breaker-registry.js';
import { callPart, compilePartPath, type CompiledPart, type PartResult } from './aggregate-part.js';
import { answerFrom, requiredFailed } from './aggregate-answer.js';
import { tracePart } from '../observe/trace/pipeline-spans.js';

export { aggregateSchema } from './aggregate-schema.js';

/** What a part learns about the caller: who it is (as verified by auth) and the request id. */
const FORWARDED_HEADERS = [
  'x-request-id',
  'x-client-id',
  'x-user-id',
  'x-scopes',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  // W3C Trace Context: each part continues the request's trace.
  'traceparent',
  'tracestate',
];

/**
 * Fan-out / fan-in: calls every part in parallel through its service's pool and answers one JSON
 * object keyed by part name. A failed optional part shows as `{ error: { status, title } }` and
 * names itself in `X-GW-Partial`; a failed required part fails the whole call (504 when it timed
 * out, else 502). The route's `timeout` bounds every part.
 */
export const createAggregatePolicy: PolicyFactory = (route, build) => {
  const aggregate = route.config.aggregate;
  if (!aggregate) return undefined;
  const parts: CompiledPart[] = Object.entries(aggregate.parts).map(([name, config]) => {
    const pool = build.upstreams.get(config.service);
    // The config rules already reject unknown services; a programmatic build may skip them.
    if (!pool)
      throw new GatewayError(
        'GW_CONFIG_INVALID',
        `Route ${route.id}: part ${name} names no service '${config.service}'`,
      );
    return {
      name,
      config,
      pool,
      breakers: serviceBreakers(build, config.service),
      toPath: compilePartPath(config.path),
    };
  });
  const { merge } = aggregate;
  const { events } = build;

  return async function aggregateParts(ctx) {
    const deadline = performance.now() + ctx.timeoutMs;
    const headers = partHeaders(ctx);
    const controller = new AbortController();
    const abort = () => controller.abort();
    ctx.res.once('close', abort);
    // The first required part to fail decides the answer; the others are not worth waiting for.
    let failedRequired: { part: CompiledPart; outcome: Extract<PartResult, { ok: false }> } | undefined;
    let outcomes: PartResult[];
    try {
      outcomes = await Promise.all(
        parts.map(async (part) => {
          const outcome = await tracePart(ctx, part.name, part.pool.name, headers, (sent) =>
            callPart(part, ctx, sent, deadline, controller.signal, events),
          );
          if (!outcome.ok && part.config.required && !failedRequired) {
            failedRequired = { part, outcome };
            controller.abort();
          }
          return outcome;
        }),
      );
    } finally {
      ctx.res.off('close', abort);
    }
    if (failedRequired) throw requiredFailed(ctx, failedRequired.part, failedRequired.outcome);
    ctx.response = await answerFrom(parts, outcomes, ctx, merge);
  };
};

function partHeaders(ctx: GatewayContext): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { accept: 'application/json' };
  for (const name of FORWARDED_HEADERS) {
    const value = ctx.upstreamHeaders[name];
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}
