import type { AttributeValue } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { sdkSpanField } from './sdk-span-field.js';
import { TIME_ORIGIN, type SpanRecord } from './span-record.js';

/**
 * gw's spans as the protobuf ExportTraceServiceRequest the OTLP receiver takes, written a span at
 * a time as each one ends (span-export-queue.ts), so that a finished span is bytes in a reused
 * buffer rather than an object the garbage collector carries until its batch leaves. The bytes
 * are those of the SDK's ProtobufTraceSerializer for the same spans (a test holds them equal), in
 * a fraction of its CPU: the SDK's writer sizes the batch in a first pass, allocates a Uint8Array
 * per id and copies every string a character at a time, twice; this one writes each span once,
 * ids straight from their hex and clock readings from plain numbers. A span with an attribute it
 * does not write (not a string, number or boolean; gw sets none) is written by the SDK's serializer.
 * Field numbers: opentelemetry/proto/trace/v1/trace.proto, common/v1/common.proto.
 */

/** One batch as sent: the request's bytes and how many spans they hold. */
export interface EncodedBatch {
  readonly bytes: Uint8Array;
  readonly spans: number;
  /** The buffer the bytes are a view of, written again once the batch is released. */
  readonly buffer: Buffer;
}

/** Bytes a span's small fields may take at most (ids, times, counts, tags); strings ask for more. */
const HEADROOM = 1024;
const LONG_STRING = 256;
/** Buffers kept for the next batches once the receiver took theirs. */
const FREE_BUFFERS = 2;

/**
 * The buffer being written and where: module state, set by the writer that writes now (writes are
 * synchronous, so two writers never interleave) and taken back by it after.
 */
const EMPTY: Buffer = Buffer.alloc(0);
let buf: Buffer = EMPTY;
let pos = 0;

class Unsupported extends Error {}

/**
 * Writes the spans of one resource and scope into batches. The request's outer fields come first
 * but their lengths are known last: each batch buffer keeps room for them in front of its spans,
 * filled by take(). A batch's buffer is lent to the exporter as it is (no copy) and comes back
 * with release() once the receiver took it: a fresh buffer of about half a megabyte each time
 * cost about 4 µs a request in page faults. A batch that failed keeps its buffer (the request may
 * still be writing it) and lets it go.
 */
export class OtlpSpanWriter {
  /** Spans written since the last take(). */
  spans = 0;
  private buffer: Buffer = EMPTY;
  private at = 0;
  private bytesPerSpan = 300;
  private readonly free: Buffer[] = [];
  /** ResourceSpans.resource and ScopeSpans.scope, the same for every batch. */
  private readonly resourceField: Buffer;
  private readonly scopeField: Buffer;
  /** Where the first span goes: room for the outer tags, lengths and the two fields above. */
  private readonly spansAt: number;

  constructor(
    readonly resource: Resource,
    scopeName: string,
    private readonly batchSpans: number,
  ) {
    this.resourceField = writeAlone(() => {
      buf[pos++] = 0x0a; // ResourceSpans.resource
      const body = open(1);
      writeAttributes(0x0a, resource.attributes); // Resource.attributes
      buf[pos++] = 0x10; // Resource.dropped_attributes_count
      buf[pos++] = 0;
      close(body, 1);
    });
    this.scopeField = writeAlone(() => {
      buf[pos++] = 0x0a; // ScopeSpans.scope
      const scope = open(1);
      buf[pos++] = 0x0a; // InstrumentationScope.name
      writeString(scopeName);
      close(scope, 1);
    });
    this.spansAt = this.resourceField.length + this.scopeField.length + 2 + 2 * 5;
  }

  /** Appends `span` to the batch being written. */
  add(span: SpanRecord): void {
    if (this.spans === 0) {
      this.buffer = this.takeBuffer(Math.ceil(this.batchSpans * this.bytesPerSpan) + this.spansAt);
      this.at = this.spansAt;
    }
    buf = this.buffer;
    pos = this.at;
    try {
      writeSpanField(span);
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      pos = this.at;
      writeSdkSpanField(span);
    }
    this.buffer = buf;
    this.at = pos;
    buf = EMPTY;
    this.spans++;
  }

  /** The batch written so far, as one ExportTraceServiceRequest; undefined when it has no span. */
  take(): EncodedBatch | undefined {
    const spans = this.spans;
    if (spans === 0) return undefined;
    const buffer = this.buffer;
    const end = this.at;
    // ExportTraceServiceRequest { resource_spans: ResourceSpans { resource, scope_spans:
    // ScopeSpans { scope, spans } } }, written backwards from the first span.
    const scopeSpans = this.scopeField.length + (end - this.spansAt);
    let at = this.spansAt - this.scopeField.length;
    this.scopeField.copy(buffer, at);
    at -= varintSize(scopeSpans);
    writeVarintInto(buffer, at, scopeSpans);
    buffer[--at] = 0x12; // ResourceSpans.scope_spans
    at -= this.resourceField.length;
    this.resourceField.copy(buffer, at);
    const resourceSpans = end - at;
    at -= varintSize(resourceSpans);
    writeVarintInto(buffer, at, resourceSpans);
    buffer[--at] = 0x0a; // ExportTraceServiceRequest.resource_spans
    this.bytesPerSpan = (end - this.spansAt) / spans;
    this.spans = 0;
    this.buffer = EMPTY;
    return { bytes: buffer.subarray(at, end), spans, buffer };
  }

  /** The receiver took `batch`: its buffer may be written again. */
  release(batch: EncodedBatch): void {
    if (this.free.length < FREE_BUFFERS && !this.free.includes(batch.buffer)) this.free.push(batch.buffer);
  }

  private takeBuffer(bytes: number): Buffer {
    const index = this.free.findIndex((b) => b.length >= bytes);
    if (index >= 0) return this.free.splice(index, 1)[0]!;
    this.free.pop();
    return Buffer.allocUnsafe(Math.ceil(bytes * 1.25));
  }
}

/** What `write` writes, in a buffer of its own (the fields every batch repeats). */
function writeAlone(write: () => void): Buffer {
  buf = Buffer.allocUnsafe(HEADROOM);
  pos = 0;
  write();
  const out = Buffer.from(buf.subarray(0, pos));
  buf = EMPTY;
  return out;
}

function ensure(bytes: number): void {
  if (pos + bytes <= buf.length) return;
  let size = Math.max(buf.length * 2, 1 << 16);
  while (size < pos + bytes) size *= 2;
  const grown = Buffer.allocUnsafe(size);
  buf.copy(grown, 0, 0, pos);
  buf = grown;
}

/** One ScopeSpans.spans field: the span with its tag and length. */
function writeSpanField(span: SpanRecord): void {
  ensure(HEADROOM);
  buf[pos++] = 0x12; // ScopeSpans.spans
  const at = open(2);
  writeSpan(span);
  close(at, 2);
}

/** The span as the SDK's serializer writes it, for values gw's writer does not know. */
function writeSdkSpanField(span: SpanRecord): void {
  const field = sdkSpanField(span);
  ensure(field.length);
  buf.set(field, pos);
  pos += field.length;
}

/**
 * Keeps `reserved` bytes for a length-delimited field's length (the size it usually needs: one for
 * a key-value pair, two for a span) and returns where; close() writes it once the body is written.
 */
function open(reserved: 1 | 2): number {
  pos += reserved;
  return pos - reserved;
}

/** Writes the length of the field opened at `lengthAt`, moving its body when it needs another size. */
function close(lengthAt: number, reserved: 1 | 2): void {
  const length = pos - lengthAt - reserved;
  const size = varintSize(length);
  if (size !== reserved) {
    ensure(size);
    buf.copyWithin(lengthAt + size, lengthAt + reserved, pos);
    pos += size - reserved;
  }
  writeVarintInto(buf, lengthAt, length);
}

function writeVarintInto(into: Buffer, at: number, value: number): void {
  let v = value;
  for (; v > 0x7f; v >>>= 7) into[at++] = (v & 0x7f) | 0x80;
  into[at] = v;
}

function writeSpan(span: SpanRecord): void {
  buf[pos++] = 0x0a; // trace_id
  writeHexBytes(span.traceId);
  buf[pos++] = 0x12; // span_id
  writeHexBytes(span.spanId);
  const traceState = span.traceState?.serialize();
  if (traceState) {
    buf[pos++] = 0x1a; // trace_state
    writeString(traceState);
  }
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    buf[pos++] = 0x22; // parent_span_id
    writeHexBytes(parent.spanId);
  }
  buf[pos++] = 0x2a; // name
  writeString(span.name);
  buf[pos++] = 0x30; // kind (the proto's values are the API's plus one)
  buf[pos++] = span.kind + 1;
  buf[pos++] = 0x39; // start_time_unix_nano
  writeTime(span.startedAt);
  buf[pos++] = 0x41; // end_time_unix_nano
  writeTime(span.endedAt);
  writeAttributes(0x4a, span.startAttributes);
  const later = span.setAttributes;
  if (later) for (let i = 0; i < later.length; i++) writeAttributes(0x4a, later[i]!);
  // dropped_attributes_count, dropped_events_count, dropped_links_count: gw drops none.
  buf[pos++] = 0x50;
  buf[pos++] = 0;
  buf[pos++] = 0x60;
  buf[pos++] = 0;
  buf[pos++] = 0x70;
  buf[pos++] = 0;
  ensure(HEADROOM);
  buf[pos++] = 0x7a; // status
  const status = open(1);
  writeStatus(span);
  close(status, 1);
  // flags: the trace flags, "has is_remote" (0x100) and "is remote" (0x200) of the parent.
  const flags = (span.traceFlags & 0xff) | 0x100 | (parent?.isRemote ? 0x200 : 0);
  buf[pos++] = 0x85;
  buf[pos++] = 0x01;
  writeFixed32(flags);
}

function writeStatus(span: SpanRecord): void {
  const { message, code } = span.status;
  if (message) {
    buf[pos++] = 0x12; // Status.message
    writeString(message);
  }
  buf[pos++] = 0x18; // Status.code
  buf[pos++] = code;
}

/**
 * A repeated KeyValue field of `tag` per attribute with a value (undefined is no value). Attribute
 * objects are plain literals (nothing enumerable inherited), so every key for-in gives is their own.
 */
function writeAttributes(tag: number, attributes: Record<string, AttributeValue | undefined>): void {
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined) continue;
    ensure(HEADROOM);
    buf[pos++] = tag; // a repeated KeyValue
    const keyValue = open(1);
    buf[pos++] = 0x0a; // KeyValue.key
    writeString(key);
    buf[pos++] = 0x12; // KeyValue.value
    const anyValue = open(1);
    writeAnyValue(value);
    close(anyValue, 1);
    close(keyValue, 1);
  }
}

function writeAnyValue(value: AttributeValue): void {
  if (typeof value === 'string') {
    buf[pos++] = 0x0a; // AnyValue.string_value
    writeString(value);
  } else if (typeof value === 'boolean') {
    buf[pos++] = 0x10; // AnyValue.bool_value
    buf[pos++] = value ? 1 : 0;
  } else if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) {
      buf[pos++] = 0x18; // AnyValue.int_value
      writeVarint(value);
    } else {
      buf[pos++] = 0x21; // AnyValue.double_value
      buf.writeDoubleLE(value, pos);
      pos += 8;
    }
  } else throw new Unsupported();
}

const HEX = new Uint8Array(128);
for (let i = 0; i < 16; i++)
  HEX['0123456789abcdef'.charCodeAt(i)] = HEX['0123456789ABCDEF'.charCodeAt(i)] = i;

function writeHexBytes(hex: string): void {
  const bytes = hex.length >>> 1;
  buf[pos++] = bytes;
  for (let i = 0; i < hex.length; i += 2)
    buf[pos++] = (HEX[hex.charCodeAt(i)]! << 4) | HEX[hex.charCodeAt(i + 1)]!;
}

/** A string as UTF-8 with its length (https://protobuf.dev/programming-guides/encoding/#strings). */
function writeString(text: string): void {
  const length = text.length;
  if (length < LONG_STRING) {
    // ASCII, the usual case: written a character at a time, no call into the runtime.
    const start = pos;
    let at = pos + varintSize(length);
    let i = 0;
    for (; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0x7f) break;
      buf[at++] = code;
    }
    if (i === length) {
      writeVarint(length);
      pos = start + varintSize(length) + length;
      return;
    }
    pos = start;
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  ensure(bytes + 10);
  writeVarint(bytes);
  pos += buf.write(text, pos, bytes, 'utf8');
}

function varintSize(value: number): number {
  if (value < 0x80) return value < 0 ? 10 : 1;
  if (value < 0x4000) return 2;
  let size = 1;
  for (; value >= 0x80; size++) value = Math.floor(value / 0x80);
  return size;
}

/** A varint, negative numbers as their 64-bit two's complement (protobuf's int64). */
function writeVarint(value: number): void {
  if (value >= 0 && value <= 0xffffffff) {
    let v = value >>> 0;
    for (; v > 0x7f; v >>>= 7) buf[pos++] = (v & 0x7f) | 0x80;
    buf[pos++] = v;
    return;
  }
  const abs = Math.abs(value);
  let low = abs >>> 0;
  let high = Math.floor(abs / 0x100000000) >>> 0;
  if (value < 0) {
    low = ~low >>> 0;
    high = ~high >>> 0;
    low = (low + 1) >>> 0;
    if (low === 0) high = (high + 1) >>> 0;
  }
  while (high > 0 || low > 0x7f) {
    buf[pos++] = (low & 0x7f) | 0x80;
    low = ((low >>> 7) | (high << 25)) >>> 0;
    high >>>= 7;
  }
  buf[pos++] = low;
}

/**
 * performance.now() milliseconds as fixed64 Unix nanoseconds, by the same steps as the SDK's
 * hrTime and writeHrTimeAsFixed64 (seconds split so that no product passes 2^53).
 */
function writeTime(now: number): void {
  const ms = TIME_ORIGIN + now;
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  const fromLow = (seconds & 0xffff) * 1e9;
  const fromHigh = ((seconds / 0x10000) >>> 0) * 1e9;
  const low = (fromLow >>> 0) + (((fromHigh & 0xffff) * 0x10000) >>> 0) + nanos;
  const high =
    Math.floor(fromLow / 0x100000000) + ((fromHigh / 0x10000) >>> 0) + Math.floor(low / 0x100000000);
  writeFixed32(low >>> 0);
  writeFixed32(high >>> 0);
}

function writeFixed32(value: number): void {
  buf[pos++] = value & 0xff;
  buf[pos++] = (value >>> 8) & 0xff;
  buf[pos++] = (value >>> 16) & 0xff;
  buf[pos++] = value >>> 24;
}
