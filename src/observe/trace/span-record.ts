import {
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type HrTime,
  type Link,
  type SpanContext,
  type SpanStatus,
  type TraceState,
} from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { SpanAttributes, TraceSpan } from './span-types.js';
import { randomSpanId } from './trace-ids.js';

/**
 * One span of gw, kept as the SDK's exporters read it (ReadableSpan) and handed to the batch
 * processor when it ends. It is its own SpanContext (a child names its parent record as its
 * parent context), keeps its clock readings as plain numbers (the HrTime pairs are made only if
 * something asks for them; gw's encoder reads the numbers) and shares its empty lists, so a span
 * is two objects: the record and its attributes.
 */
export interface SpanSink {
  readonly resource: Resource;
  readonly scope: { readonly name: string };
  finish(span: SpanRecord): void;
}

/** TraceFlags.SAMPLED: only sampled spans are recorded. */
export const SAMPLED = 1;
const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NO_LINKS: Link[] = [];
const NO_EVENTS: TimedEvent[] = [];

/** Milliseconds of performance.now() as the wall-clock [seconds, nanoseconds] OpenTelemetry uses. */
export function hrTime(now: number): HrTime {
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

export class SpanRecord implements TraceSpan, ReadableSpan, SpanContext {
  readonly attributes: Attributes = {};
  status: SpanStatus = UNSET;
  ended = false;
  readonly traceFlags = SAMPLED;
  readonly links = NO_LINKS;
  readonly events = NO_EVENTS;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly recording = true;
  readonly resource: Resource;
  readonly instrumentationScope: { readonly name: string };
  /** performance.now() when the span started and ended. */
  readonly startedAt = performance.now();
  endedAt = 0;

  constructor(
    private readonly sink: SpanSink,
    readonly name: string,
    readonly kind: SpanKind,
    readonly traceId: string,
    readonly spanId: string,
    readonly parentSpanContext: SpanContext | undefined,
    readonly traceState: TraceState | undefined,
    attributes: SpanAttributes | undefined,
  ) {
    this.resource = sink.resource;
    this.instrumentationScope = sink.scope;
    copyDefined(this.attributes, attributes);
  }

  get startTime(): HrTime {
    return hrTime(this.startedAt);
  }

  get endTime(): HrTime {
    return this.ended ? hrTime(this.endedAt) : [0, 0];
  }

  get duration(): HrTime {
    if (!this.ended) return [0, 0];
    const ns = Math.round((this.endedAt - this.startedAt) * 1e6);
    return [Math.floor(ns / 1e9), ns % 1e9];
  }

  spanContext(): SpanContext {
    return this;
  }

  child(name: string, kind: 'internal' | 'client', attributes?: SpanAttributes): TraceSpan {
    const spanKind = kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL;
    return new SpanRecord(
      this.sink,
      name,
      spanKind,
      this.traceId,
      randomSpanId(),
      this,
      undefined,
      attributes,
    );
  }

  set(attributes: SpanAttributes): void {
    if (!this.ended) copyDefined(this.attributes, attributes);
  }

  fail(message: string): void {
    if (!this.ended) this.status = { code: SpanStatusCode.ERROR, message };
  }

  end(): void {
    if (this.ended) return;
    this.endedAt = performance.now();
    this.ended = true;
    this.sink.finish(this);
  }
}
