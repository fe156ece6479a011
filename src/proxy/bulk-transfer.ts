import v8 from 'node:v8';
import type { EventEmitter } from 'node:events';

/** What one relay carries (either way) before it counts as a bulk transfer: 4 MiB. */
export const BULK_TRANSFER_BYTES = 4 * 1024 * 1024;

/** While a bulk transfer runs, V8's old generation may grow to 4 × its live size. */
const BULK_HEAP_GROWING_PERCENT = 300;

let allowed = false;
let running = 0;

/**
 * Lets bulk transfers raise V8's heap growth (the CLI calls this; a program that embeds gw keeps
 * V8's heuristics), unless the user chose a growth with node's own flag.
 *
 * Why: Node reads each socket read into a fresh 64 KiB ArrayBuffer, and V8 counts those
 * buffers against its old generation's limit until a young collection frees them, which comes
 * only every ~32 MB of them. With gw's ~18 MB heap V8's own limit leaves ~7 MB of room, so a
 * large body through gw started a full mark every 20–40 MB: 3–5 for each 100 MB gRPC stream,
 * more CPU than relaying the bytes. With 4 × the heap's size as room, the churn fits.
 *
 * Only while a transfer runs: a heap allowed to grow 4 × between marks cost the plain HTTP path
 * 1–7 % of CPU a request in page faults (docs/grpc.md). V8 reads the flag whenever it sets a new
 * limit, that is after each full collection: the first in a bulk transfer sets the roomy limit,
 * the first after one ends sets V8's own again.
 */
export function allowBulkHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  allowed = !execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg));
  return allowed;
}

/** An HTTP/2 stream or a client's response: both say whether they closed, and emit 'close' once. */
export interface ClosingStream extends EventEmitter {
  readonly closed: boolean;
}

/**
 * Adds a chunk to what a relay has carried and returns the new total. The chunk that crosses
 * BULK_TRANSFER_BYTES holds the heap growth until `stream` closes (the relay's HTTP/2 stream, or
 * the client's response for an HTTP/1.1 upstream: both emit 'close' however they end).
 */
export function countRelayed(carried: number, chunk: number, stream: ClosingStream): number {
  const total = carried + chunk;
  // A stream that already closed would never release the growth.
  if (total >= BULK_TRANSFER_BYTES && carried < BULK_TRANSFER_BYTES && allowed && !stream.closed) {
    if (running++ === 0) v8.setFlagsFromString(`--heap-growing-percent=${BULK_HEAP_GROWING_PERCENT}`);
    stream.once('close', releaseGrowth);
  }
  return total;
}

function releaseGrowth(): void {
  // 0 is V8's "not set": its own growth again.
  if (--running === 0) v8.setFlagsFromString('--heap-growing-percent=0');
}

/** Bulk transfers holding the heap growth now (for tests). */
export function bulkTransfersRunning(): number {
  return running;
}
