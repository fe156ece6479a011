import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  allowBulkHeapGrowth,
  BULK_TRANSFER_BYTES,
  bulkTransfersRunning,
  countRelayed,
} from '../../src/proxy/bulk-transfer.js';

const MB = 1024 * 1024;

/** Relays `chunks` chunks of 1 MiB on `stream`; returns what it counted. */
function relay(stream: EventEmitter, chunks: number): number {
  let carried = 0;
  for (let i = 0; i < chunks; i++) carried = countRelayed(carried, MB, stream);
  return carried;
}

afterEach(() => void allowBulkHeapGrowth(['--heap-growing-percent=0']));

describe('bulk transfers and the heap growth they hold (bulk-transfer.ts)', () => {
  it('counts every byte, and holds the growth from the chunk that crosses 4 MiB until the stream closes', () => {
    allowBulkHeapGrowth([]);
    const stream = new EventEmitter();
    expect(relay(stream, 3)).toBe(3 * MB);
    expect(bulkTransfersRunning()).toBe(0);
    expect(countRelayed(3 * MB, MB, stream)).toBe(BULK_TRANSFER_BYTES);
    expect(bulkTransfersRunning()).toBe(1);
    // Later chunks of the same transfer do not count it again.
    countRelayed(BULK_TRANSFER_BYTES, MB, stream);
    expect(bulkTransfersRunning()).toBe(1);
    stream.emit('close');
    expect(bulkTransfersRunning()).toBe(0);
  });

  it('holds it while any of several transfers runs', () => {
    allowBulkHeapGrowth([]);
    const first = new EventEmitter();
    const second = new EventEmitter();
    relay(first, 5);
    relay(second, 8);
    expect(bulkTransfersRunning()).toBe(2);
    first.emit('close');
    expect(bulkTransfersRunning()).toBe(1);
    second.emit('close');
    expect(bulkTransfersRunning()).toBe(0);
  });

  it('never holds it where the CLI did not allow it, or the user gave node a growth', () => {
    allowBulkHeapGrowth(['--heap-growing-percent=50']);
    const stream = new EventEmitter();
    expect(relay(stream, 6)).toBe(6 * MB);
    expect(bulkTransfersRunning()).toBe(0);
    expect(stream.listenerCount('close')).toBe(0);
    expect(allowBulkHeapGrowth(['--inspect', '--heap_growing_percent=120'])).toBe(false);
    expect(allowBulkHeapGrowth(['--inspect'])).toBe(true);
  });
});
