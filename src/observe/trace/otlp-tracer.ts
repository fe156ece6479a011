import {
  createTraceState,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanAttributes, SpanTracer, TraceSpan } from './span-types.js';
import { pooledIdGenerator } from './trace-ids.js';

/**
 * The one module that talks to the OpenTelemetry SDK (issue 17, item 4). It is imported only when
 * `telemetry` is configured (telemetry.ts), so gw without it never loads the SDK. Spans go to a
 * BatchSpanProcessor: ending one is a push onto a bounded queue, the export runs later on its own
 * timer, a full queue drops spans instead of waiting, and a failed export is only counted.
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

export function createOtlpTracer(options: OtlpTracerOptions): OtlpTracer {
  const exporter = countFailures(
    new OTLPTraceExporter({ url: options.url, timeoutMillis: options.timeoutMs }),
    options.onExportFailure,
  );
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    idGenerator: pooledIdGenerator,
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        scheduledDelayMillis: BATCH_DELAY_MS,
        exportTimeoutMillis: options.timeoutMs,
      }),
    ],
  });
  const tracer = provider.getTracer('gw');
  return {
    startServerSpan(name, parent, attributes) {
      const context = parent
        ? trace.setSpanContext(ROOT_CONTEXT, {
            traceId: parent.traceId,
            spanId: parent.parentId,
            traceFlags: parent.sampled ? 1 : 0,
            isRemote: true,
            traceState: parent.state === undefined ? undefined : createTraceState(parent.state),
          })
        : ROOT_CONTEXT;
      const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, context);
      return { traceId: span.spanContext().traceId, span: new SdkSpan(tracer, span) };
    },
    shutdown: () => provider.shutdown(),
  };
}

class SdkSpan implements TraceSpan {
  readonly spanId: string;
  readonly recording: boolean;

  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
  ) {
    this.spanId = span.spanContext().spanId;
    this.recording = span.isRecording();
  }

  child(name: string, kind: 'internal' | 'client', attributes?: SpanAttributes): TraceSpan {
    const spanKind = kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL;
    const context = trace.setSpan(ROOT_CONTEXT, this.span);
    return new SdkSpan(this.tracer, this.tracer.startSpan(name, { kind: spanKind, attributes }, context));
  }

  set(attributes: SpanAttributes): void {
    this.span.setAttributes(attributes);
  }

  fail(message: string): void {
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
  }

  end(): void {
    this.span.end();
  }
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
