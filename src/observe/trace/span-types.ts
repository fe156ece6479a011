/**
 * What the pipeline sees of a span: ids, attributes, an outcome and an end. The OpenTelemetry
 * objects stay behind it (otlp-tracer.ts), so nothing outside this folder imports the SDK, and a
 * gw without `telemetry` never creates one.
 */
export type SpanAttributes = Record<string, string | number | boolean | undefined>;

export interface TraceSpan {
  /** 16 lowercase hex digits; the id an upstream call names as its parent. */
  readonly spanId: string;
  /** False when the caller's trace is not sampled: the span then records nothing (the SDK's choice). */
  readonly recording: boolean;
  /** True once end() was called (a second end() does nothing). */
  readonly ended: boolean;
  /** A span under this one ('internal' for gw's own steps, 'client' for an upstream call). */
  child(name: string, kind: 'internal' | 'client', attributes?: SpanAttributes): TraceSpan;
  set(attributes: SpanAttributes): void;
  /** Marks the span as failed (OpenTelemetry status ERROR) with a one-line reason. */
  fail(message: string): void;
  end(): void;
}

/** Starts the server span of one request, under the caller's span when it sent one. */
export interface SpanTracer {
  startServerSpan(
    name: string,
    parent: { traceId: string; parentId: string; sampled: boolean; state: string | undefined } | undefined,
    attributes: SpanAttributes,
  ): { traceId: string; span: TraceSpan };
}
