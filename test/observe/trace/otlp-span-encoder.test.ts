import { createTraceState, SpanKind, type SpanContext } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { describe, expect, it } from 'vitest';
import { OtlpSpanWriter } from '../../../src/observe/trace/otlp-span-encoder.js';
import { SpanRecord, type SpanSink } from '../../../src/observe/trace/span-record.js';
import type { SpanAttributes } from '../../../src/observe/trace/span-types.js';
import { decodeSpans } from '../../e2e/trace-otlp-receiver.js';

/**
 * gw's encoder must write what the SDK's ProtobufTraceSerializer writes for the same spans, byte
 * for byte: the receiver cannot tell which one sent a batch. Each case compares the two outputs,
 * gw's written a span at a time as the export queue writes them.
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
/** A writer sized for one span a batch, so that every longer batch grows its buffer. */
const writerFor = (spans: SpanRecord[]) => new OtlpSpanWriter(spans[0]!.resource, 'gw', 1);
const written = (writer: OtlpSpanWriter, spans: SpanRecord[]) => {
  for (const span of spans) writer.add(span);
  return writer.take()!;
};
const both = (spans: SpanRecord[]) => ({
  gw: bytes(written(writerFor(spans), spans).bytes),
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

  it('keeps the first position and the last value of a key set twice, as the SDK does', () => {
    const { ended, server } = recorder();
    const span = server({ 'http.route': '/users/:id', 'gw.target': undefined, 'gw.cache': 'miss' });
    span.set({ 'gw.target': 'http://127.0.0.1:8001', 'http.response.status_code': 502 });
    span.set({ 'gw.cache': 'hit', 'gw.retries': undefined });
    span.set({ 'http.response.status_code': 200, 'gw.retries': 2 });
    span.end();
    const { gw, sdk } = both(ended);
    expect(gw.equals(sdk)).toBe(true);
    const [decoded] = decodeSpans(gw);
    expect(Object.entries(decoded!.attributes)).toEqual([
      ['http.route', '/users/:id'],
      ['gw.cache', 'hit'],
      ['gw.target', 'http://127.0.0.1:8001'],
      ['http.response.status_code', 200],
      ['gw.retries', 2],
    ]);
  });

  it("has the SDK's serializer write a span with a value it does not know, amid its own", () => {
    const { ended, server } = recorder();
    const posted: SpanAttributes = { method: 'POST' };
    server({ method: 'GET' }).end();
    server(posted).end();
    server({ method: 'PUT' }).end();
    // A list value (gw sets none) on one of gw's own spans, in the middle of the batch.
    Object.assign(posted, { list: ['a', 'b'] });
    const withList = both(ended);
    expect(withList.gw.equals(withList.sdk)).toBe(true);
    expect(decodeSpans(withList.gw).map((s) => s.attributes.method)).toEqual(['GET', 'POST', 'PUT']);
  });

  it('writes a new batch over an old one only once the old one was released', () => {
    const batch = (path: string) => {
      const { ended, server } = recorder();
      for (let i = 0; i < 50; i++) server({ 'url.path': `${path}/${i}` }).end();
      return ended;
    };
    const first = batch('/one');
    const writer = writerFor(first);
    const sent = written(writer, first);
    const copy = Buffer.from(sent.bytes);
    // Still on its way: the next batch gets another buffer.
    written(writer, batch('/two'));
    expect(Buffer.from(sent.bytes).equals(copy)).toBe(true);
    // Taken by the receiver: its buffer is written again.
    writer.release(sent);
    const reused = written(writer, batch('/six')).bytes;
    expect(reused.buffer).toBe(sent.bytes.buffer);
    expect(
      decodeSpans(Buffer.from(reused)).every((s) => s.attributes['url.path']!.toString().startsWith('/six/')),
    ).toBe(true);
  });
});
