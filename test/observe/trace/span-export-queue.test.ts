import { SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { describe, expect, it } from 'vitest';
import { OtlpSpanWriter, type EncodedBatch } from '../../../src/observe/trace/otlp-span-encoder.js';
import { createSpanExportQueue } from '../../../src/observe/trace/span-export-queue.js';
import { SpanRecord, type SpanSink } from '../../../src/observe/trace/span-record.js';
import { decodeSpans } from '../../e2e/trace-otlp-receiver.js';
import { sleep, waitFor } from '../../helpers/wait.js';

/**
 * The export queue batches spans as the SDK's BatchSpanProcessor does, over spans already written
 * as protobuf. `send` stands in for the OTLP/HTTP export (test/e2e/trace-otlp.test.ts sends to a
 * real receiver): each call is kept, and the test says when the receiver took it.
 */
function queueOf(options: { batchSpans: number; queueSpans: number; delayMs?: number }) {
  const resource = resourceFromAttributes({ 'service.name': 'gw' });
  const sent: { batch: EncodedBatch; names: string[]; done: (ok: boolean, reason?: string) => void }[] = [];
  const failures: [number, string][] = [];
  let dropped = 0;
  const writer = new OtlpSpanWriter(resource, 'gw', options.batchSpans);
  const queue = createSpanExportQueue({
    writer,
    batchSpans: options.batchSpans,
    queueSpans: options.queueSpans,
    delayMs: options.delayMs ?? 60_000,
    timeoutMs: 60_000,
    send: (batch, done) =>
      sent.push({ batch, names: decodeSpans(Buffer.from(batch.bytes)).map((s) => s.name), done }),
    onExportFailure: (spans, reason) => failures.push([spans, reason]),
    onDrop: (spans) => (dropped += spans),
  });
  const sink: SpanSink = { resource, scope: { name: 'gw' }, finish: (span) => queue.add(span) };
  let count = 0;
  const end = (n: number) => {
    for (let i = 0; i < n; i++) {
      const name = `span ${count++}`;
      new SpanRecord(
        sink,
        name,
        SpanKind.SERVER,
        '4bf92f3577b34da6a3ce929d0e0e4736',
        'a2fb4a1d1a96d312',
        undefined,
        undefined,
        {
          'url.path': `/users/${count}`,
        },
      ).end();
    }
  };
  return { queue, sent, failures, end, dropped: () => dropped, writer };
}

describe('span export queue', () => {
  it('sends a batch as soon as it is full, one export at a time, the next once the receiver took the first', () => {
    const { sent, end } = queueOf({ batchSpans: 3, queueSpans: 12 });
    end(2);
    expect(sent).toHaveLength(0);
    end(1);
    expect(sent.map((s) => s.names)).toEqual([['span 0', 'span 1', 'span 2']]);
    expect(sent[0]!.batch.spans).toBe(3);
    end(4);
    // The first export is still on its way: the second full batch waits for it.
    expect(sent).toHaveLength(1);
    sent[0]!.done(true);
    expect(sent.map((s) => s.names)).toEqual([
      ['span 0', 'span 1', 'span 2'],
      ['span 3', 'span 4', 'span 5'],
    ]);
  });

  it('sends a batch that is not full once the delay after its first span passed', async () => {
    const { sent, end } = queueOf({ batchSpans: 100, queueSpans: 400, delayMs: 30 });
    end(2);
    expect(sent).toHaveLength(0);
    await waitFor(() => sent.length === 1, 5000, 'the delayed batch');
    expect(sent[0]!.names).toEqual(['span 0', 'span 1']);
  });

  it('drops and counts the spans that end while the queue is full, and takes spans again once it drained', () => {
    const { sent, end, dropped } = queueOf({ batchSpans: 2, queueSpans: 4 });
    end(4);
    expect(sent).toHaveLength(1);
    end(3);
    expect(dropped()).toBe(3);
    sent[0]!.done(true);
    sent[1]!.done(true);
    end(2);
    expect(dropped()).toBe(3);
    expect(sent.map((s) => s.names)).toEqual([
      ['span 0', 'span 1'],
      ['span 2', 'span 3'],
      ['span 7', 'span 8'],
    ]);
  });

  it('reports a batch the receiver did not take with its span count, and goes on with the next', () => {
    const { sent, end, failures } = queueOf({ batchSpans: 2, queueSpans: 8 });
    end(4);
    sent[0]!.done(false, 'Connection refused');
    expect(failures).toEqual([[2, 'Connection refused']]);
    expect(sent).toHaveLength(2);
    sent[1]!.done(true);
    expect(failures).toHaveLength(1);
  });

  it('writes the next batch into the buffer of one the receiver took, never into one that failed', () => {
    const { sent, end } = queueOf({ batchSpans: 2, queueSpans: 8 });
    end(2);
    const failed = sent[0]!;
    const failedBytes = Buffer.from(failed.batch.bytes);
    failed.done(false);
    end(2);
    expect(sent[1]!.batch.buffer).not.toBe(failed.batch.buffer);
    expect(Buffer.from(failed.batch.bytes).equals(failedBytes)).toBe(true);
    sent[1]!.done(true);
    end(2);
    expect(sent[2]!.batch.buffer).toBe(sent[1]!.batch.buffer);
    expect(sent[2]!.names).toEqual(['span 4', 'span 5']);
  });

  it('flush sends what waits, the partial batch too, and resolves once the receiver took it all', async () => {
    const { queue, sent, end } = queueOf({ batchSpans: 3, queueSpans: 12 });
    end(4);
    let flushed = false;
    const flushing = queue.flush().then(() => (flushed = true));
    expect(sent).toHaveLength(1);
    sent[0]!.done(true);
    expect(sent.map((s) => s.names)).toEqual([['span 0', 'span 1', 'span 2'], ['span 3']]);
    await sleep(20);
    expect(flushed).toBe(false);
    sent[1]!.done(true);
    await flushing;
    expect(flushed).toBe(true);
  });
});
