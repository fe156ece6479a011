import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { SpanRecord } from './span-record.js';

/**
 * One span's ScopeSpans.spans field (tag, length, span) as the SDK's ProtobufTraceSerializer
 * writes it, for the rare span whose values gw's own writer (otlp-span-encoder.ts) does not know:
 * the SDK's batch of that one span, from which the field is cut (the request's first
 * resource_spans, its first scope_spans, the span field in it).
 */
export function sdkSpanField(span: SpanRecord): Uint8Array {
  const request = ProtobufTraceSerializer.serializeRequest([span]);
  if (!request) throw new Error('the OpenTelemetry serializer wrote nothing for a span');
  const resourceSpans = fieldOf(request, 0, request.length, 1);
  const scopeSpans = fieldOf(request, resourceSpans.body, resourceSpans.end, 2);
  const field = fieldOf(request, scopeSpans.body, scopeSpans.end, 2);
  return request.subarray(field.start, field.end);
}

/** The first length-delimited field `number` between `from` and `to`: where it starts, its body, its end. */
function fieldOf(bytes: Uint8Array, from: number, to: number, number: number) {
  let at = from;
  while (at < to) {
    const start = at;
    const key = readVarint(bytes, at);
    at = key.next;
    const type = key.value & 7;
    if (type === 0) at = readVarint(bytes, at).next;
    else if (type === 1) at += 8;
    else if (type === 5) at += 4;
    else {
      const length = readVarint(bytes, at);
      const end = length.next + length.value;
      if (key.value >>> 3 === number) return { start, body: length.next, end };
      at = end;
    }
  }
  throw new Error(`no field ${number} in the OpenTelemetry serializer's bytes`);
}

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = bytes[at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return { value, next: at };
  }
}
