import {
  createTraceState,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type HrTime,
  type SpanContext,
  type SpanStatus,
} from '@opentelemetry/api';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanAttributes, SpanTracer, TraceSpan } from './span-types.js';
import { randomSpanId, randomTraceId } from './trace-ids.js';

/**
 * The one module that talks to the OpenTelemetry SDK (issue 17, item 4). It is imported only when
 * `telemetry` is configured (telemetry.ts), so gw without it never loads the SDK.
 *
 * Finished spans go to the SDK's BatchSpanProcessor and its OTLP/HTTP protobuf exporter: ending
 * one is a push onto a bounded queue, the export runs later on the processor's timer, a full
 * queue drops spans instead of waiting, and a failed export is only counted. The spans themselves
 * are records of this module (the SDK's ReadableSpan shape) rather than the SDK Tracer's, which
 * samples, checks limits and validates every attribute of every span: a request's four spans cost
 * about 11 µs of CPU that way against 6 µs as records, batch processor included (measured on the
 * 2-core bench machine; the protobuf export then costs the same either way).
 * gw knows its attributes are valid, samples by the caller's flag (W3C) and starts each trace once.
 */
export interface OtlpTracerOptions {
  /** The OTLP/HTTP traces URL (…/v1/traces). */
  readonly url: string;
  readonly serviceName: string;
  readonly timeoutMs: number;
  /** Called once per batch the receiver did not take (after the exporter's own retries). */
  readonly onExportFailure: (spans: number, reason: string) => void;
}

export interface OtlpTracer extends SpanTracer {
  /** Sends what is queued, then stops the exporter. */
  shutdown(): Promise<void>;
}

/** ExportResultCode.SUCCESS of @opentelemetry/core. */
const EXPORT_SUCCESS = 0;
/** Spans wait at most this long for their batch: a trace shows in Jaeger about a second later. */
const BATCH_DELAY_MS = 1000;
const SAMPLED = 1;
const scope = { name: 'gw' };

export function createOtlpTracer(options: OtlpTracerOptions): OtlpTracer {
  const exporter = countFailures(
    new OTLPTraceExporter({ url: options.url, timeoutMillis: options.timeoutMs }),
    options.onExportFailure,
  );
  const processor = new BatchSpanProcessor(exporter, {
    scheduledDelayMillis: BATCH_DELAY_MS,
    exportTimeoutMillis: options.timeoutMs,
  });
  const resource = resourceFromAttributes({ 'service.name': options.serviceName });
  const sink: SpanSink = { resource, finish: (span) => processor.onEnd(span) };
  return {
    startServerSpan(name, parent, attributes) {
      // An unsampled caller gets no recorded span (the W3C sampled flag decides, as the SDK's
      // default ParentBased sampler would), only a span id to send on.
      if (parent && !parent.sampled) return { traceId: parent.traceId, span: new UnrecordedSpan() };
      const traceId = parent ? parent.traceId : randomTraceId();
      const context: SpanContext = { traceId, spanId: randomSpanId(), traceFlags: SAMPLED };
      if (parent?.state !== undefined) context.traceState = createTraceState(parent.state);
      const parentContext: SpanContext | undefined = parent && {
        traceId,
        spanId: parent.parentId,
        traceFlags: SAMPLED,
        isRemote: true,
      };
      const span = new SpanRecord(sink, name, SpanKind.SERVER, context, parentContext, attributes);
      return { traceId, span };
    },
    async shutdown() {
      await processor.shutdown();
    },
  };
}

interface SpanSink {
  readonly resource: Resource;
  finish(span: ReadableSpan): void;
}

/** Wall-clock time as the [seconds, nanoseconds] pair OpenTelemetry uses, from the monotonic clock. */
function hrTime(now: number): HrTime {
  const ms = performance.timeOrigin + now;
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

function copyDefined(target: Attributes, attributes: SpanAttributes | undefined): void {
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) target[key] = value;
  }
}

/** One span, kept as the SDK's exporters read it; handed to the batch processor when it ends. */
class SpanRecord implements TraceSpan, ReadableSpan {
  readonly attributes: Attributes = {};
  readonly startTime: HrTime;
  endTime: HrTime = [0, 0];
  duration: HrTime = [0, 0];
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  ended = false;
  readonly links = [];
  readonly events = [];
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly instrumentationScope = scope;
  readonly resource: Resource;
  readonly recording = true;
  private readonly startedAt = performance.now();

  constructor(
    private readonly sink: SpanSink,
    readonly name: string,
    readonly kind: SpanKind,
    private readonly context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    attributes: SpanAttributes | undefined,
  ) {
    this.resource = sink.resource;
    this.startTime = hrTime(this.startedAt);
    copyDefined(this.attributes, attributes);
  }

  get spanId(): string {
    return this.context.spanId;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  child(name: string, kind: 'internal' | 'client', attributes?: SpanAttributes): TraceSpan {
    const context: SpanContext = {
      traceId: this.context.traceId,
      spanId: randomSpanId(),
      traceFlags: SAMPLED,
    };
    const spanKind = kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL;
    return new SpanRecord(this.sink, name, spanKind, context, this.context, attributes);
  }

  set(attributes: SpanAttributes): void {
    if (!this.ended) copyDefined(this.attributes, attributes);
  }

  fail(message: string): void {
    if (!this.ended) this.status = { code: SpanStatusCode.ERROR, message };
  }

  end(): void {
    if (this.ended) return;
    const now = performance.now();
    this.ended = true;
    this.endTime = hrTime(now);
    const ns = Math.round((now - this.startedAt) * 1e6);
    this.duration = [Math.floor(ns / 1e9), ns % 1e9];
    this.sink.finish(this);
  }
}

/** The span of a request whose caller said "not sampled": an id to pass on, nothing recorded. */
class UnrecordedSpan implements TraceSpan {
  readonly spanId = randomSpanId();
  readonly recording = false;
  child(): TraceSpan {
    return this;
  }
  set(): void {}
  fail(): void {}
  end(): void {}
}

/** The exporter as is, with every batch it fails to deliver reported (the SDK only logs it to diag). */
function countFailures(
  exporter: SpanExporter,
  onFailure: OtlpTracerOptions['onExportFailure'],
): SpanExporter {
  return {
    export(spans: ReadableSpan[], done) {
      exporter.export(spans, (result) => {
        if (result.code !== EXPORT_SUCCESS) onFailure(spans.length, result.error?.message ?? 'export failed');
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}
