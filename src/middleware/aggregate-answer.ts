import { GatewayError } from '../errors.js';
import { markOutcome } from '../pipeline/hooks.js';
import type { BufferedResponse, GatewayContext } from '../pipeline/types.js';
import type { CompiledPart, PartResult } from './aggregate-part.js';
import type { AggregateMerge, AggregateResults } from './aggregate-schema.js';

type FailedPart = Extract<PartResult, { ok: false }>;

/**
 * The fan-in: one JSON object keyed by part name, a failed part as `{ error: { status, title } }`
 * and named in `X-GW-Partial`, then the route's merge function when it has one.
 */
export async function answerFrom(
  parts: readonly CompiledPart[],
  outcomes: readonly PartResult[],
  ctx: GatewayContext,
  merge: AggregateMerge | undefined,
): Promise<BufferedResponse> {
  const results: AggregateResults = {};
  const missing: string[] = [];
  parts.forEach((part, i) => {
    const outcome = outcomes[i]!;
    if (outcome.ok) results[part.name] = outcome.value;
    else {
      results[part.name] = { error: { status: outcome.status, title: outcome.title } };
      missing.push(part.name);
    }
  });
  if (missing.length > 0) {
    markOutcome(ctx, 'partial', true);
    ctx.responseHeaders['x-gw-partial'] = missing.join(', ');
  }
  const body = merge ? await runMerge(merge, results, ctx) : results;
  return {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: Buffer.from(JSON.stringify(body ?? null)),
  };
}

/** A required part failed: the whole call does, 504 when the part ran out of time, else 502. */
export function requiredFailed(ctx: GatewayContext, part: CompiledPart, outcome: FailedPart): GatewayError {
  markOutcome(ctx, 'reason', `required part ${part.name} failed: ${outcome.error.message}`);
  const extensions = { part: part.name, partStatus: outcome.status };
  const where = `Required part ${part.name} (${part.pool.name})`;
  if (outcome.error.code === 'GW_UPSTREAM_TIMEOUT') {
    return new GatewayError('GW_UPSTREAM_TIMEOUT', `${where} did not answer in time`, { extensions });
  }
  return new GatewayError('GW_AGGREGATE_PART_FAILED', `${where} failed: ${outcome.error.message}`, {
    extensions,
  });
}

async function runMerge(
  merge: AggregateMerge,
  results: AggregateResults,
  ctx: GatewayContext,
): Promise<unknown> {
  try {
    return await merge(results, ctx);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new GatewayError(
      'GW_AGGREGATE_MERGE_FAILED',
      `The merge function of route ${ctx.route.id} threw: ${reason}`,
      {
        cause: error,
      },
    );
  }
}
