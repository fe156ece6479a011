import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { isGatewayError } from '../../errors.js';
import { redactQuery } from '../../events/redact.js';
import type { CompiledRoute, GatewayContext, Middleware, PolicyFactory } from '../../pipeline/types.js';
import { startRequestTrace, traceparentFor, type RequestTrace } from './request-trace.js';
import type { SpanTracer, TraceSpan } from './span-types.js';

/**
 * Where the pipeline meets tracing (issue 17, item 4): the request's trace at intake, a span per
 * policy, per upstream attempt and per aggregate part. Each call is a no-op returning undefined
 * when the request has no exported span, so without `telemetry` the only per-request work is
 * startRequestTrace's few string checks. Attributes follow the stable HTTP semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/http/http-spans/).
 */

/** Reads the caller's traceparent, starts gw's span (exported when a tracer is given) and rewrites the upstream's. */
export function traceRequest(
  req: IncomingMessage,
  id: string,
  route: CompiledRoute,
  path: string,
  search: string,
  clientIp: string,
  tracer: SpanTracer | undefined,
): RequestTrace {
  if (!tracer) return startRequestTrace(req.headers, undefined);
  const method = req.method ?? 'GET';
  const host = req.headers.host ?? '';
  const colon = host.lastIndexOf(':');
  const secure = (req.socket as TLSSocket | undefined)?.encrypted === true;
  return startRequestTrace(req.headers, {
    tracer,
    name: `${method} ${route.config.path}`,
    attributes: {
      'http.request.method': method,
      'http.route': route.config.path,
      'url.path': path,
      'url.query': search === '' ? undefined : redactQuery(search).slice(1),
      'url.scheme': secure ? 'https' : 'http',
      'server.address': colon > 0 && !host.endsWith(']') ? host.slice(0, colon) : host,
      'client.address': clientIp,
      'network.protocol.version': req.httpVersion,
      'user_agent.original': req.headers['user-agent'],
      'gw.route': route.id,
      'gw.request_id': id,
    },
  });
}

/** Whether the request's span is being recorded (it ends with endServerSpan when the answer is done). */
export function recordsServerSpan(ctx: GatewayContext): boolean {
  return ctx.trace?.span?.recording === true;
}

/** Ends the request's span once its answer is done: status, who answered, the error if any. */
export function endServerSpan(ctx: GatewayContext): void {
  const span = ctx.trace?.span;
  if (!span?.recording) return;
  const { res, outcome } = ctx;
  const status = res.headersSent || (ctx.upgrade && ctx.target !== undefined) ? res.statusCode : 499;
  span.set({
    'http.response.status_code': status,
    'gw.service': ctx.route.config.service,
    'gw.target': ctx.target,
    'gw.answered_by': outcome.answeredBy,
    'gw.retries': outcome.retries,
    'gw.cache': outcome.cache,
    'gw.caller': ctx.identity?.name,
  });
  // A server span fails on 5xx only (a 4xx is the client's error, not gw's).
  if (status >= 500) {
    span.set({ 'error.type': outcome.code ?? String(status) });
    span.fail(outcome.reason ?? `answered ${status}`);
  }
  span.end();
}

/** 'createRateLimitPolicy' → 'rate-limit': the span of each policy is named after its factory. */
function policyName(factory: PolicyFactory): string {
  const bare = factory.name.replace(/^create/, '').replace(/Policy$/, '') || 'policy';
  return bare.replace(/(?<=[a-z0-9])([A-Z])/g, '-$1').toLowerCase();
}

/**
 * A policy wrapped in a span that covers its own work: from its start until it hands the request
 * on (or answers, or throws). Without a tracer the policy is returned as it is.
 */
export function tracePolicy(
  factory: PolicyFactory,
  middleware: Middleware | undefined,
  tracer: SpanTracer | undefined,
): Middleware | undefined {
  if (!middleware || !tracer) return middleware;
  const name = policyName(factory);
  const attributes = { 'gw.policy': name };
  return function tracedPolicy(ctx, next) {
    const parent = ctx.trace?.span;
    if (!parent?.recording) return middleware(ctx, next);
    const span = parent.child(name, 'internal', attributes);
    // One closure a request: the span ends when the policy hands the request on. A span that
    // already ended ignores a second end(), so the ways out below need no flag of their own.
    let done: Promise<void>;
    try {
      done = middleware(ctx, () => {
        span.end();
        return next();
      });
    } catch (error) {
      endFailed(span, error);
      throw error;
    }
    // A policy that handed the request on before its first await (the usual case) ended its span
    // then: no wrapper promise for it. Otherwise the span ends when the policy does (answered,
    // refused or failed); the policy's own promise goes back to the caller as it is.
    if (!span.ended)
      done.then(
        () => span.end(),
        (error: unknown) => endFailed(span, error ?? new Error('policy failed')),
      );
    return done;
  };
}

/**
 * A client span for one try of the upstream call, named as the upstream's parent in this try's
 * traceparent; undefined when nothing is exported (the upstream then sees gw's own span).
 */
export function startAttemptSpan(
  ctx: GatewayContext,
  attempt: number,
  target: string,
): TraceSpan | undefined {
  const trace = ctx.trace;
  if (!trace?.span?.recording) return undefined;
  const server = serverOf(target);
  const span = trace.span.child(ctx.method, 'client', {
    'http.request.method': ctx.method,
    'server.address': server?.address,
    'server.port': server?.port,
    'http.request.resend_count': attempt > 0 ? attempt : undefined,
    'gw.attempt': attempt + 1,
    'gw.service': ctx.route.config.service,
    'gw.target': target,
  });
  ctx.upstreamHeaders.traceparent = traceparentFor(trace, span);
  return span;
}

/** Ends a try's span with the upstream's status, or the error that ended it. */
export function endAttemptSpan(ctx: GatewayContext, span: TraceSpan | undefined, error?: unknown): void {
  if (!span) return;
  const url = ctx.upstreamUrl === undefined ? undefined : redactQuery(ctx.upstreamUrl);
  if (error !== undefined) {
    span.set({ 'url.full': url });
    failSpan(span, error);
  } else {
    const status = ctx.response?.status ?? ctx.res.statusCode;
    span.set({ 'url.full': url, 'http.response.status_code': status });
    if (status >= 400) span.fail(`answered ${status}`);
  }
  span.end();
}

/** What an aggregate part call returns: ok, or the error that the answer shows. */
interface PartOutcome {
  ok: boolean;
  status?: number;
  error?: unknown;
}

/** Runs one aggregate part under a client span of its own, its traceparent naming that span. */
export async function tracePart<T extends PartOutcome>(
  ctx: GatewayContext,
  part: string,
  service: string,
  headers: OutgoingHttpHeaders,
  call: (headers: OutgoingHttpHeaders) => Promise<T>,
): Promise<T> {
  const trace = ctx.trace;
  if (!trace?.span?.recording) return call(headers);
  const span = trace.span.child(`part ${part}`, 'client', { 'gw.part': part, 'gw.service': service });
  const outcome = await call({ ...headers, traceparent: traceparentFor(trace, span) });
  if (outcome.ok) span.set({ 'http.response.status_code': 200 });
  else {
    if (outcome.status !== undefined) span.set({ 'http.response.status_code': outcome.status });
    failSpan(span, outcome.error);
  }
  span.end();
  return outcome;
}

/** Fails and ends a span that has not ended yet (a span that ended keeps its outcome). */
function endFailed(span: TraceSpan, error: unknown): void {
  if (span.ended) return;
  failSpan(span, error);
  span.end();
}

function failSpan(span: TraceSpan, error: unknown): void {
  if (isGatewayError(error)) {
    span.set({ 'error.type': error.code });
    span.fail(error.message);
  } else {
    span.set({ 'error.type': error instanceof Error ? error.name : 'Error' });
    span.fail(error instanceof Error ? error.message : String(error));
  }
}

interface TargetServer {
  readonly address: string;
  readonly port: number;
}

/**
 * Host and port of a target, parsed once: targets come from the config, and parsing the URL on
 * every try showed in the per-request CPU (about 1 µs). Bounded, in case targets are many.
 */
const servers = new Map<string, TargetServer | undefined>();
const MAX_SERVERS = 1024;

function serverOf(target: string): TargetServer | undefined {
  if (servers.has(target)) return servers.get(target);
  let server: TargetServer | undefined;
  try {
    const url = new URL(target);
    server = { address: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
  } catch {
    server = undefined;
  }
  if (servers.size >= MAX_SERVERS) servers.clear();
  servers.set(target, server);
  return server;
}
