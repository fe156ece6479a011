import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';
import { GatewayError, isGatewayError } from '../errors.js';
import type { EventStream } from '../events/event-stream.js';
import type { GatewayContext } from '../pipeline/types.js';
import { callTarget } from '../proxy/service-client.js';
import type { UpstreamPool } from '../proxy/upstream-types.js';
import { settle } from '../proxy/resilience/circuit-breaker.js';
import { pickTarget, type ServiceBreakers } from '../proxy/resilience/circuit-breaker-registry.js';
import type { ResolvedAggregatePart } from './aggregate-schema.js';

/** A part's answer is buffered whole; anything larger is an upstream mistake, not a dashboard. */
const MAX_PART_BYTES = 8 * 1024 * 1024;

export interface CompiledPart {
  readonly name: string;
  readonly config: ResolvedAggregatePart;
  readonly pool: UpstreamPool;
  readonly breakers: ServiceBreakers | undefined;
  readonly toPath: (params: Readonly<Record<string, string>>) => string;
}

export type PartResult =
  { ok: true; value: unknown } | { ok: false; error: GatewayError; status: number; title: string };

/** '/users/:id/orders' → a function of the route params, built once per config load. */
export function compilePartPath(path: string): (params: Readonly<Record<string, string>>) => string {
  if (!path.includes(':')) return () => path;
  const pieces = path.split(/:([A-Za-z_][A-Za-z0-9_]*)/);
  return (params) => {
    let out = pieces[0]!;
    for (let i = 1; i < pieces.length; i += 2) {
      const value = params[pieces[i]!];
      out += (value === undefined ? `:${pieces[i]}` : encodeURIComponent(value)) + pieces[i + 1]!;
    }
    return out;
  };
}

/**
 * Calls one part through its service's balancer and breakers. Never rejects: a failure becomes
 * the `{ status, title }` the answer shows, with the error for a required part.
 */
export async function callPart(
  part: CompiledPart,
  ctx: GatewayContext,
  headers: OutgoingHttpHeaders,
  deadline: number,
  signal: AbortSignal,
  events: EventStream,
): Promise<PartResult> {
  const { pool, config } = part;
  const picked = pickTarget(pool, part.breakers, { req: ctx.req, clientIp: ctx.clientIp }, events);
  if (!picked || isGatewayError(picked)) {
    const error =
      picked ?? new GatewayError('GW_NO_HEALTHY_TARGET', `No healthy target for service ${pool.name}`);
    return failed(error, error.status);
  }
  const budget = Math.round(deadline - performance.now());
  const timeoutMs = Math.max(1, Math.min(budget, config.timeout ?? pool.timeoutMs));
  const report = (outcome: 'success' | 'failure' | 'cancel') => {
    if (picked.breaker && picked.ticket >= 0)
      settle(picked.breaker, picked.ticket, outcome, Date.now(), events);
    picked.ticket = -1;
  };
  try {
    const response = await callTarget(pool, picked.target, {
      method: config.method,
      path: part.toPath(ctx.params),
      headers,
      timeoutMs,
      maxBytes: MAX_PART_BYTES,
      signal,
      onHead: (status) => report(status >= 500 ? 'failure' : 'success'),
    });
    report('cancel');
    if (response.status < 200 || response.status >= 300) {
      const error = new GatewayError(
        'GW_AGGREGATE_PART_FAILED',
        `Part ${part.name} (${pool.name}) answered ${response.status}`,
        {
          extensions: { part: part.name, upstreamStatus: response.status },
        },
      );
      return failed(
        error,
        response.status,
        problemTitle(response.body) ?? STATUS_CODES[response.status] ?? 'Error',
      );
    }
    return { ok: true, value: parseBody(response.headers['content-type'], response.body) };
  } catch (error) {
    report(signal.aborted ? 'cancel' : 'failure');
    const gatewayError = isGatewayError(error)
      ? error
      : new GatewayError('GW_INTERNAL', String(error), { cause: error });
    return failed(gatewayError, gatewayError.status);
  }
}

function failed(error: GatewayError, status: number, title = error.title): PartResult {
  return { ok: false, error, status, title };
}

function parseBody(contentType: string | undefined, body: Buffer): unknown {
  const text = body.toString('utf8');
  if (!contentType || !/[/+]json\b/i.test(contentType)) return text;
  if (text.length === 0) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GatewayError('GW_UPSTREAM_BAD_RESPONSE', 'A part answered malformed JSON');
  }
}

/** An RFC 9457 answer names its own title; anything else gets the status text. */
function problemTitle(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { title?: unknown };
    return typeof parsed.title === 'string' ? parsed.title.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}
