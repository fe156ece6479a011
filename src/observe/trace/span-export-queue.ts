import type { EncodedBatch, OtlpSpanWriter } from './otlp-span-encoder.js';
import type { SpanRecord } from './span-record.js';

/**
 * Batches finished spans for export, as the SDK's BatchSpanProcessor does (a batch leaves when
 * full or a delay after its first span, one export at a time, a bounded queue that drops beyond
 * it), with one difference that is most of its cost: a span is written as protobuf the moment it
 * ends (otlp-span-encoder.ts), so the queue holds bytes in reused buffers, not span objects. Kept
 * as objects until their batch left, gw's spans outlived young-generation collections and were
 * copied and promoted (docs/tracing.md has the figures); written at once, they die young.
 */
export interface SpanExportQueueOptions {
  readonly writer: OtlpSpanWriter;
  /** A batch leaves as soon as it holds this many spans. */
  readonly batchSpans: number;
  /** Spans waiting (written, not yet sent) at most; those that end beyond it are dropped. */
  readonly queueSpans: number;
  /** A batch leaves at most this long after its first span ended. */
  readonly delayMs: number;
  /** How long one export may take before the next batch goes (the exporter's own timeout rules it). */
  readonly timeoutMs: number;
  /** Sends a batch; `done(true)` once the receiver took it, `done(false)` when it did not. */
  readonly send: (batch: EncodedBatch, done: (ok: boolean, reason?: string) => void) => void;
  readonly onExportFailure: (spans: number, reason: string) => void;
  /** Spans dropped because the queue was full. */
  readonly onDrop: (spans: number) => void;
}

export interface SpanExportQueue {
  add(span: SpanRecord): void;
  /** Sends every waiting span; resolves once all exports are over. */
  flush(): Promise<void>;
}

export function createSpanExportQueue(options: SpanExportQueueOptions): SpanExportQueue {
  const { writer, batchSpans, queueSpans, delayMs } = options;
  const ready: EncodedBatch[] = [];
  let waiting = 0;
  let exporting = false;
  let timer: NodeJS.Timeout | undefined;
  let idle: (() => void)[] = [];

  const seal = () => {
    const batch = writer.take();
    if (batch) ready.push(batch);
  };

  const settle = () => {
    if (exporting || ready.length > 0 || writer.spans > 0) return;
    const resolve = idle;
    idle = [];
    for (const done of resolve) done();
  };

  const next = () => {
    if (exporting) return;
    const batch = ready.shift();
    if (!batch) return settle();
    exporting = true;
    let over = false;
    // The exporter ends every export within its timeout; this is only a backstop so that one
    // export that never ends cannot hold the queue.
    const guard = setTimeout(() => end(false, 'export timed out'), options.timeoutMs + 1000).unref();
    const end = (ok: boolean, reason = 'export failed') => {
      if (over) return;
      over = true;
      clearTimeout(guard);
      waiting -= batch.spans;
      exporting = false;
      if (ok) writer.release(batch);
      else options.onExportFailure(batch.spans, reason);
      next();
    };
    options.send(batch, end);
  };

  const onDelay = () => {
    timer = undefined;
    seal();
    next();
  };

  return {
    add(span) {
      if (waiting >= queueSpans) {
        options.onDrop(1);
        return;
      }
      writer.add(span);
      waiting++;
      if (writer.spans >= batchSpans) {
        clearTimeout(timer);
        timer = undefined;
        seal();
        next();
      } else if (timer === undefined) {
        timer = setTimeout(onDelay, delayMs).unref();
      }
    },
    flush() {
      clearTimeout(timer);
      timer = undefined;
      seal();
      const over = new Promise<void>((resolve) => idle.push(resolve));
      next();
      settle();
      return over;
    },
  };
}
