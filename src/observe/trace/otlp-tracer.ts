import { createTraceState, SpanKind, type SpanContext } from '@opentelemetry/api';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
} from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OtlpSpanWriter, type EncodedBatch } from './otlp-span-encoder.js';
import { createSpanExportQueue } from './span-export-queue.js';
import { SAMPLED, SpanRecord, type SpanSink } from './span-record.js';
import type { SpanTracer, TraceSpan } from './span-types.js';
import { randomSpanId, randomTraceId } from './trace-ids.js';

/**
 * The one module that talks to the OpenTelemetry SDK (issue 17, item 4). It is imported only when
 * `telemetry` is configured (telemetry.ts), so gw without it never loads the SDK.
 *
 * Batches leave through the SDK's OTLP/HTTP export (otlp-exporter-base's export delegate: HTTP
 * transport, retries, timeout, response parsing), the one @opentelemetry/exporter-trace-otlp-proto
 * builds. Three parts are gw's own, for CPU (docs/tracing.md has the figures):
 * - the spans are records (span-record.ts, the SDK's ReadableSpan shape) rather than the SDK
 *   Tracer's, which samples, checks limits and validates every attribute of every span; gw knows
 *   its attributes are valid, samples by the caller's flag (W3C) and starts each trace once;
 * - a span is written as OTLP protobuf the moment it ends (otlp-span-encoder.ts, the SDK
 *   serializer's bytes in about a fifth of its time), so no span object waits for its batch;
 * - so the batching is gw's (span-export-queue.ts): the BatchSpanProcessor's rules (batch size,
 *   delay, bounded queue, one export at a time) over bytes instead of span objects.
 */
export interface OtlpTracerOptions {
  /** The OTLP/HTTP traces URL (…/v1/traces). */
  readonly url: string;
  readonly serviceName: string;
  readonly timeoutMs: number;
  /** Called once per batch the receiver did not take (after the exporter's own retries). */
  readonly onExportFailure: (spans: number, reason: string) => void;
  /** Called for spans dropped because the queue was full (the receiver is slower than the spans). */
  readonly onDrop: (spans: number) => void;
}

export interface OtlpTracer extends SpanTracer {
  /** Sends what is queued, then stops the exporter. */
  shutdown(): Promise<void>;
}

/** ExportResultCode.SUCCESS of @opentelemetry/core. */
const EXPORT_SUCCESS = 0;
/** Spans wait at most this long for their batch: a trace shows in Jaeger about a second later. */
const BATCH_DELAY_MS = 1000;
/**
 * A batch leaves as soon as this many spans wait. At 20k requests a second (80k spans) one batch
 * is about 25 ms of spans, one POST of about 0.6 MB: a fourth as many POSTs as the SDK's 512.
 * Measured in one process at the bench's rate (7k requests a second over a 30 MB heap), 2048
 * cost less CPU than 512 (more POSTs) and than 4096 (spans wait longer in the queue, more for the
 * garbage collector); the bench itself could not tell 512 and 2048 apart.
 */
const BATCH_SPANS = 2048;
/**
 * The queue holds four batches, so that the spans that end while one batch is on its way are kept
 * (the SDK's 2048 with 512 a batch dropped spans at that rate); beyond it spans are dropped.
 */
const QUEUE_SPANS = 4 * BATCH_SPANS;
/** The exporter kind the SDK's own OTLP/HTTP span exporter reports itself as. */
const EXPORTER_KIND = 'otlp_http_span_exporter';

export function createOtlpTracer(options: OtlpTracerOptions): OtlpTracer {
  const resource = resourceFromAttributes({ 'service.name': options.serviceName });
  const scope = { name: 'gw' };
  const exporter = createExporter(options);
  const queue = createSpanExportQueue({
    writer: new OtlpSpanWriter(resource, scope.name, BATCH_SPANS),
    batchSpans: BATCH_SPANS,
    queueSpans: QUEUE_SPANS,
    delayMs: BATCH_DELAY_MS,
    timeoutMs: options.timeoutMs,
    send: (batch, done) =>
      exporter.export(batch, (result) =>
        done(result.code === EXPORT_SUCCESS, result.error?.message ?? 'export failed'),
      ),
    onExportFailure: options.onExportFailure,
    onDrop: options.onDrop,
  });
  const sink: SpanSink = { resource, scope, finish: (span) => queue.add(span) };
  return {
    startServerSpan(name, parent, attributes) {
      // An unsampled caller gets no recorded span (the W3C sampled flag decides, as the SDK's
      // default ParentBased sampler would), only a span id to send on.
      if (parent && !parent.sampled) return { traceId: parent.traceId, span: new UnrecordedSpan() };
      const traceId = parent ? parent.traceId : randomTraceId();
      const parentContext: SpanContext | undefined = parent && {
        traceId,
        spanId: parent.parentId,
        traceFlags: SAMPLED,
        isRemote: true,
      };
      const state = parent?.state === undefined ? undefined : createTraceState(parent.state);
      const span = new SpanRecord(
        sink,
        name,
        SpanKind.SERVER,
        traceId,
        randomSpanId(),
        parentContext,
        state,
        attributes,
      );
      return { traceId, span };
    },
    async shutdown() {
      await queue.flush();
      await exporter.shutdown();
    },
  };
}

/** What new OTLPTraceExporter({ url, timeoutMillis }) sends through, taking gw's encoded batches. */
function createExporter(options: OtlpTracerOptions) {
  const http = convertLegacyHttpOptions(
    { url: options.url, timeoutMillis: options.timeoutMs },
    'TRACES',
    'v1/traces',
    { 'Content-Type': 'application/x-protobuf' },
  );
  return createOtlpHttpExportDelegate(
    http,
    {
      serializeRequest: (batch: EncodedBatch) => batch.bytes,
      deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
    },
    EXPORTER_KIND,
    { name: 'span', countItems: (batch: EncodedBatch) => batch.spans },
    undefined,
  );
}

/** The span of a request whose caller said "not sampled": an id to pass on, nothing recorded. */
class UnrecordedSpan implements TraceSpan {
  readonly spanId = randomSpanId();
  readonly recording = false;
  readonly ended = false;
  child(): TraceSpan {
    return this;
  }
  set(): void {}
  fail(): void {}
  end(): void {}
}
