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
 * One span of gw, in the shape the SDK's exporters read (ReadableSpan), written as protobuf by the
 * sink when it ends (otlp-span-encoder.ts). It is its own SpanContext (a child names its parent
 * record as its parent context), keeps its clock readings as plain numbers (the HrTime pairs are
 * made only if something asks for them) and its attributes as the objects it was given (the
 * start's, then each set()'s; undefined values count as absent), so a span is one object and a
 * short list: what a span has in common with every other lives on the prototype.
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

/**
 * performance.timeOrigin, read once: the getter asks the runtime on every read, and each span end
 * read it twice.
 */
export const TIME_ORIGIN = performance.timeOrigin;

/** Milliseconds of performance.now() as the wall-clock [seconds, nanoseconds] OpenTelemetry uses. */
export function hrTime(now: number): HrTime {
  const ms = TIME_ORIGIN + now;
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

function copyDefined(target: Attributes, attributes: Attributes): void {
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) target[key] = value;
  }
}

/** True when `attributes` gives a value to a key that `earlier` already has one for. */
function overlaps(earlier: Attributes, attributes: Attributes): boolean {
  for (const key in attributes) if (attributes[key] !== undefined && earlier[key] !== undefined) return true;
  return false;
}

const NO_ATTRIBUTES: Attributes = Object.freeze({});

export class SpanRecord implements TraceSpan, ReadableSpan, SpanContext {
  status: SpanStatus = UNSET;
  ended = false;
  /** performance.now() when the span started and ended. */
  readonly startedAt = performance.now();
  endedAt = 0;
  /** The attributes as given at the start (not copied: gw's callers hand over fresh objects). */
  startAttributes: Attributes;
  /** Those of each set() since, in order; undefined until the first. */
  setAttributes: Attributes[] | undefined = undefined;

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
    this.startAttributes = attributes ?? NO_ATTRIBUTES;
  }

  get traceFlags(): number {
    return SAMPLED;
  }
  get recording(): boolean {
    return true;
  }
  get links(): Link[] {
    return NO_LINKS;
  }
  get events(): TimedEvent[] {
    return NO_EVENTS;
  }
  get droppedAttributesCount(): number {
    return 0;
  }
  get droppedEventsCount(): number {
    return 0;
  }
  get droppedLinksCount(): number {
    return 0;
  }
  get resource(): Resource {
    return this.sink.resource;
  }
  get instrumentationScope(): { readonly name: string } {
    return this.sink.scope;
  }

  /** One object of the attributes with a value, in the order they were first given (the SDK's view). */
  get attributes(): Attributes {
    const merged: Attributes = {};
    copyDefined(merged, this.startAttributes);
    for (const later of this.setAttributes ?? []) copyDefined(merged, later);
    return merged;
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
    if (this.ended) return;
    const earlier = this.setAttributes;
    let again = overlaps(this.startAttributes, attributes);
    for (let i = 0; !again && earlier !== undefined && i < earlier.length; i++)
      again = overlaps(earlier[i]!, attributes);
    if (!again) {
      if (earlier) earlier.push(attributes);
      else this.setAttributes = [attributes];
      return;
    }
    // A key set again (gw does not, today): one merged object keeps the SDK's order and last value.
    const merged = this.attributes;
    copyDefined(merged, attributes);
    this.startAttributes = merged;
    this.setAttributes = undefined;
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
