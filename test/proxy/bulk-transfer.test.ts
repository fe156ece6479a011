import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ClosingStream,
  allowBulkHeapGrowth,
  BULK_TRANSFER_BYTES,
  bulkTransfersRunning,
  countRelayed,
} from '../../src/proxy/bulk-transfer.js';

const MB = 1024 * 1024;

/** A stream as the relays pass it: `closed` turns true as it emits 'close'. */
function relayStream(): ClosingStream & { close(): void } {
  const stream = Object.assign(new EventEmitter(), {
    closed: false,
    close() {
      stream.closed = true;
      stream.emit('close');
    },
  });
  return stream;
}

/** Relays `chunks` chunks of 1 MiB on `stream`; returns what it counted. */
function relay(stream: ClosingStream, chunks: number): number {
  let carried = 0;
  for (let i = 0; i < chunks; i++) carried = countRelayed(carried, MB, stream);
  return carried;
}

afterEach(() => void allowBulkHeapGrowth(['--heap-growing-percent=0']));

describe('bulk transfers and the heap growth they hold (bulk-transfer.ts)', () => {
  it('counts every byte, and holds the growth from the chunk that crosses 4 MiB until the stream closes', () => {
    allowBulkHeapGrowth([]);
    const stream = relayStream();
    expect(relay(stream, 3)).toBe(3 * MB);
    expect(bulkTransfersRunning()).toBe(0);
    expect(countRelayed(3 * MB, MB, stream)).toBe(BULK_TRANSFER_BYTES);
    expect(bulkTransfersRunning()).toBe(1);
    // Later chunks of the same transfer do not count it again.
    countRelayed(BULK_TRANSFER_BYTES, MB, stream);
    expect(bulkTransfersRunning()).toBe(1);
    stream.close();
    expect(bulkTransfersRunning()).toBe(0);
  });

  it('holds it while any of several transfers runs', () => {
    allowBulkHeapGrowth([]);
    const first = relayStream();
    const second = relayStream();
    relay(first, 5);
    relay(second, 8);
    expect(bulkTransfersRunning()).toBe(2);
    first.close();
    expect(bulkTransfersRunning()).toBe(1);
    second.close();
    expect(bulkTransfersRunning()).toBe(0);
  });

  it('never holds it where the CLI did not allow it, or the user gave node a growth', () => {
    allowBulkHeapGrowth(['--heap-growing-percent=50']);
    const stream = relayStream();
    expect(relay(stream, 6)).toBe(6 * MB);
    expect(bulkTransfersRunning()).toBe(0);
    expect(stream.listenerCount('close')).toBe(0);
    expect(allowBulkHeapGrowth(['--inspect', '--heap_growing_percent=120'])).toBe(false);
    expect(allowBulkHeapGrowth(['--inspect'])).toBe(true);
  });
});

describe('a stream that closed before its chunk crossed 4 MiB', () => {
  it('does not hold the growth, which nothing would release', () => {
    allowBulkHeapGrowth([]);
    const stream = relayStream();
    stream.close();
    expect(relay(stream, 6)).toBe(6 * MB);
    expect(bulkTransfersRunning()).toBe(0);
    expect(stream.listenerCount('close')).toBe(0);
  });
});
