import { createTraceState, SpanKind, type SpanContext } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { otlpSpanEncoder, releaseBatch } from '../../../src/observe/trace/otlp-span-encoder.js';
import { SpanRecord, type SpanSink } from '../../../src/observe/trace/span-record.js';
import type { SpanAttributes } from '../../../src/observe/trace/span-types.js';
import { decodeSpans } from '../../e2e/trace-otlp-receiver.js';

/**
 * gw's encoder must write what the SDK's ProtobufTraceSerializer writes for the same spans, byte
 * for byte: the receiver cannot tell which one sent a batch. Each case compares the two outputs.
 */
function recorder(serviceName = 'gw') {
  const ended: SpanRecord[] = [];
  const sink: SpanSink = {
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    scope: { name: 'gw' },
    finish: (span) => ended.push(span),
  };
  const remote: SpanContext = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: 1,
    isRemote: true,
  };
  const server = (attributes: SpanAttributes, options: { remote?: boolean; state?: string } = {}) =>
    new SpanRecord(
      sink,
      'GET /users/:id',
      SpanKind.SERVER,
      remote.traceId,
      'a2fb4a1d1a96d312',
      options.remote ? remote : undefined,
      options.state === undefined ? undefined : createTraceState(options.state),
      attributes,
    );
  return { ended, server };
}

const bytes = (data: Uint8Array | undefined) => Buffer.from(data ?? new Uint8Array());
const both = (spans: ReadableSpan[]) => ({
  gw: bytes(otlpSpanEncoder.serializeRequest(spans)),
  sdk: bytes(ProtobufTraceSerializer.serializeRequest(spans)),
});

describe('OTLP span encoder', () => {
  it('writes the SDK serializer bytes for a request with a remote parent, policies and tries', () => {
    const { ended, server } = recorder('gw-under-test');
    const span = server(
      {
        'http.request.method': 'GET',
        'http.route': '/users/:id',
        'url.path': '/users/7',
        'url.query': 'page=2',
        'client.address': '127.0.0.1',
      },
      { remote: true, state: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' },
    );
    span.child('auth', 'internal', { 'gw.policy': 'auth' }).end();
    const limit = span.child('rate-limit', 'internal', { 'gw.policy': 'rate-limit' });
    limit.set({ 'error.type': 'GW_RATE_LIMITED' });
    limit.fail('rate limit of 10 per 1m reached');
    limit.end();
    const attempt = span.child('GET', 'client', {
      'gw.attempt': 1,
      'server.port': 8080,
      'gw.target': undefined,
    });
    attempt.set({ 'http.response.status_code': 503 });
    attempt.fail('answered 503');
    attempt.end();
    span.set({
      'http.response.status_code': 200,
      'gw.retries': 1,
      'gw.cache': undefined,
      'gw.caller': 'web',
    });
    span.end();
    expect(ended).toHaveLength(4);
    const { gw, sdk } = both(ended);
    expect(gw.equals(sdk)).toBe(true);
    const decoded = decodeSpans(gw);
    expect(decoded.map((s) => [s.name, s.parentSpanId])).toEqual([
      ['auth', 'a2fb4a1d1a96d312'],
      ['rate-limit', 'a2fb4a1d1a96d312'],
      ['GET', 'a2fb4a1d1a96d312'],
      ['GET /users/:id', '00f067aa0ba902b7'],
    ]);
    expect(decoded[3]!.attributes).toMatchObject({ 'gw.retries': 1, 'gw.caller': 'web' });
  });

  it.each([
    [
      'non-ASCII text',
      { 'url.path': '/caf\u00e9/\u{1F600}', 'user_agent.original': 'lone \ud800 surrogate' },
    ],
    ['long strings (two-byte lengths, the runtime path)', { a: 'x'.repeat(200), b: 'y'.repeat(300) }],
    ['a span over 16 KB (three-byte length)', { 'url.query': 'q='.padEnd(20_000, 'z') }],
    [
      'numbers of every kind',
      { zero: 0, big: 2 ** 40, huge: 2 ** 60, negative: -5, ratio: 0.25, inf: Infinity },
    ],
    ['booleans', { yes: true, no: false }],
    ['no attributes', {}],
  ])('writes the SDK serializer bytes for %s', (_case, attributes: SpanAttributes) => {
    const { ended, server } = recorder();
    const span = server(attributes);
    span.fail('d\u00e9j\u00e0 vu');
    span.end();
    const { gw, sdk } = both(ended);
    expect(gw.equals(sdk)).toBe(true);
  });

  it('writes the SDK serializer bytes for a batch larger than the one before it', () => {
    const small = recorder();
    small.server({ a: 'b' }).end();
    expect(both(small.ended).gw.equals(both(small.ended).sdk)).toBe(true);
    const { ended, server } = recorder();
    for (let i = 0; i < 3000; i++) {
      const span = server({ 'gw.request_id': `request-${i}`, 'url.path': `/users/${'n'.repeat(i % 400)}` });
      span.child('auth', 'internal').end();
      span.end();
    }
    const { gw, sdk } = both(ended);
    expect(gw.length).toBeGreaterThan(1_000_000);
    expect(gw.equals(sdk)).toBe(true);
  });

  it("hands spans it does not know to the SDK's serializer", () => {
    const { ended, server } = recorder();
    server({ method: 'GET' }).end();
    server({ method: 'POST' }).end();
    const [record, listed] = [ended[0]!, ended[1]!];
    // A list value (gw sets none) on one of gw's own spans, found halfway through the batch.
    listed.attributes.list = ['a', 'b'];
    const withList = both([record, listed]);
    expect(withList.gw.equals(withList.sdk)).toBe(true);
    expect(decodeSpans(withList.gw)).toHaveLength(2);
    // A span that is not one of gw's records.
    const foreign: ReadableSpan = {
      name: 'foreign',
      kind: SpanKind.INTERNAL,
      spanContext: () => ({ traceId: record.traceId, spanId: 'b7ad6b7169203331', traceFlags: 1 }),
      parentSpanContext: undefined,
      startTime: record.startTime,
      endTime: record.endTime,
      duration: record.duration,
      status: record.status,
      attributes: { method: 'GET' },
      links: [],
      events: [],
      ended: true,
      resource: record.resource,
      instrumentationScope: record.instrumentationScope,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
    const mixed = both([record, foreign]);
    expect(mixed.gw.equals(mixed.sdk)).toBe(true);
    expect(decodeSpans(mixed.gw).map((s) => s.name)).toEqual(['GET /users/:id', 'foreign']);
  });

  it('writes a new batch over an old one only once the old one was released', () => {
    const batch = (path: string) => {
      const { ended, server } = recorder();
      for (let i = 0; i < 50; i++) server({ 'url.path': `${path}/${i}` }).end();
      return ended;
    };
    const first = batch('/one');
    const sent = otlpSpanEncoder.serializeRequest(first)!;
    const copy = Buffer.from(sent);
    // Still on its way: the next batch gets another buffer.
    const second = batch('/two');
    otlpSpanEncoder.serializeRequest(second);
    expect(Buffer.from(sent).equals(copy)).toBe(true);
    // Taken by the receiver: its buffer is written again.
    releaseBatch(first);
    const third = batch('/six');
    const reused = otlpSpanEncoder.serializeRequest(third)!;
    expect(reused.buffer).toBe(sent.buffer);
    expect(
      decodeSpans(Buffer.from(reused)).every((s) => s.attributes['url.path']!.toString().startsWith('/six/')),
    ).toBe(true);
  });
});
