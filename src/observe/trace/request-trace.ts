import type { IncomingHttpHeaders } from 'node:http';
import type { SpanAttributes, SpanTracer, TraceSpan } from './span-types.js';
import { formatTraceparent, parseTraceparent } from './traceparent.js';
import { randomSpanId, randomTraceId } from './trace-ids.js';

/** The trace a request belongs to, and gw's span in it (issue 17, item 4). */
export interface RequestTrace {
  /** 32 lowercase hex digits: the caller's trace when it sent a valid traceparent, else a new one. */
  readonly traceId: string;
  /** gw's span for this request: the parent the upstream sees in its traceparent. */
  readonly spanId: string;
  readonly sampled: boolean;
  /** The exported server span, when telemetry is on. */
  readonly span: TraceSpan | undefined;
}

/**
 * Reads the caller's `traceparent` and rewrites the headers that go upstream so that gw is the
 * upstream's parent (https://www.w3.org/TR/trace-context/#mutating-the-traceparent-field): same
 * trace id and flags, gw's span id. Absent or invalid, gw starts a trace of its own, marked
 * sampled so that services behind gw record it (gw is the first hop a developer sees), and drops
 * any `tracestate`, which belonged to a trace gw could not read (§3.3.1). A valid one keeps its
 * tracestate as sent: gw adds no entry of its own.
 *
 * Without a tracer this is a few string checks and one pooled random id; with one, gw's
 * server span is started here (its ids come from the same pool) and its ids are used.
 */
export function startRequestTrace(
  headers: IncomingHttpHeaders,
  server: { tracer: SpanTracer; name: string; attributes: SpanAttributes } | undefined,
): RequestTrace {
  const incoming = headers.traceparent;
  const parent = typeof incoming === 'string' ? parseTraceparent(incoming) : undefined;
  if (!parent && headers.tracestate !== undefined) headers.tracestate = undefined;
  let trace: RequestTrace;
  if (server) {
    const state = typeof headers.tracestate === 'string' ? headers.tracestate : undefined;
    const started = server.tracer.startServerSpan(
      server.name,
      parent && { ...parent, state },
      server.attributes,
    );
    trace = {
      traceId: started.traceId,
      spanId: started.span.spanId,
      sampled: parent ? parent.sampled : true,
      span: started.span,
    };
  } else {
    trace = {
      traceId: parent ? parent.traceId : randomTraceId(),
      spanId: randomSpanId(),
      sampled: parent ? parent.sampled : true,
      span: undefined,
    };
  }
  headers.traceparent = formatTraceparent(trace.traceId, trace.spanId, trace.sampled);
  return trace;
}

/** Names `span` as the parent in the traceparent of an upstream call (each attempt, each part). */
export function traceparentFor(trace: RequestTrace, span: TraceSpan): string {
  return formatTraceparent(trace.traceId, span.spanId, trace.sampled);
}
