import { Counter, type Registry } from 'prom-client';
import { errorCatalogue } from '../../errors.js';
import type { EventStream } from '../../events/event-stream.js';
import type { SpanTracer } from './span-types.js';
import type { OtlpTracer } from './otlp-tracer.js';
import { tracesUrl, type ResolvedTelemetry } from './telemetry-schema.js';

/**
 * The span exporter of one gw process, across reloads. The OpenTelemetry SDK is imported the first
 * time a config asks for `telemetry` (gw's start time stays as it was without it). A reload that
 * keeps the same settings keeps the same exporter and its queue; one that changes them starts a
 * new exporter once the new gateway is in, and the old one sends what it holds and stops.
 */
export interface Telemetry {
  /** The tracer for `config` (made on first use); the running gateway keeps its own until `settle`. */
  use(config: ResolvedTelemetry | undefined): Promise<SpanTracer | undefined>;
  /** The tracer the serving gateway uses now; every other one is flushed and stopped. */
  settle(active: SpanTracer | undefined): void;
  /** The tracer of the serving gateway (undefined without telemetry). */
  readonly active: SpanTracer | undefined;
  /** Sends what is queued (bounded by the export timeout) and stops. */
  close(): Promise<void>;
}

export const EXPORT_FAILURES_METRIC = 'gw_trace_export_failures_total';
export const DROPPED_SPANS_METRIC = 'gw_trace_spans_dropped_total';
/** How long gw's shutdown waits for the last spans to reach the receiver. */
const CLOSE_FLUSH_MS = 2000;

export function createTelemetry(events: EventStream, registry: Registry): Telemetry {
  const tracers = new Map<string, OtlpTracer>();
  let active: OtlpTracer | undefined;
  let failures: Counter | undefined;
  let dropped: Counter | undefined;

  const failureCounter = () =>
    (failures ??= new Counter({
      name: EXPORT_FAILURES_METRIC,
      help: 'Batches of spans the OTLP receiver did not take (the spans in them are dropped)',
      registers: [registry],
    }));

  const dropCounter = () =>
    (dropped ??= new Counter({
      name: DROPPED_SPANS_METRIC,
      help: 'Spans dropped because the export queue was full (the OTLP receiver took them slower than they ended)',
      registers: [registry],
    }));

  async function create(config: ResolvedTelemetry): Promise<OtlpTracer> {
    const { createOtlpTracer } = await import('./otlp-tracer.js');
    const url = tracesUrl(config.otlp);
    const counter = failureCounter();
    const drops = dropCounter();
    let reported = false;
    return createOtlpTracer({
      url,
      serviceName: config.serviceName,
      timeoutMs: config.timeout,
      onDrop: (spans) => drops.inc(spans),
      onExportFailure(_spans, reason) {
        counter.inc();
        // Once per exporter: a receiver that is down fails every batch, and one line says it all.
        if (reported) return;
        reported = true;
        events.emit({
          type: 'warning',
          at: Date.now(),
          code: 'GW_TRACE_EXPORT_FAILED',
          message: `spans could not be sent to ${url} (${reason}); requests are not affected, and failed batches are counted in ${EXPORT_FAILURES_METRIC}`,
          hint: errorCatalogue.GW_TRACE_EXPORT_FAILED.hint,
        });
      },
    });
  }

  const keyOf = (config: ResolvedTelemetry) => `${config.otlp} ${config.serviceName} ${config.timeout}`;

  return {
    async use(config) {
      if (!config) return undefined;
      const key = keyOf(config);
      let tracer = tracers.get(key);
      if (!tracer) tracers.set(key, (tracer = await create(config)));
      return tracer;
    },
    settle(tracer) {
      active = [...tracers.values()].find((t) => t === tracer);
      for (const [key, other] of tracers) {
        if (other === active) continue;
        tracers.delete(key);
        void other.shutdown().catch(() => {});
      }
    },
    get active() {
      return active;
    },
    async close() {
      const all = [...tracers.values()];
      tracers.clear();
      active = undefined;
      // A receiver that is down must not hold up gw's exit: the last spans get a short while.
      const flushed = Promise.all(all.map((tracer) => tracer.shutdown().catch(() => {})));
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_FLUSH_MS).unref()));
      await Promise.race([flushed, gaveUp]);
      clearTimeout(timer);
    },
  };
}
