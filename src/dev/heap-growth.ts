import v8 from 'node:v8';

/** How far V8's old generation may grow past its live size before a full collection: 4 ×. */
export const HEAP_GROWING_PERCENT = 300;

/**
 * Lets the `gw dev` process's old generation grow to 4 × its live size before V8 marks it
 * (V8 picks 1.1–2 × by itself), unless the user chose a growth with node's own flag.
 *
 * Why: node:http2 reads a socket into a fresh 64 KiB ArrayBuffer each time, and V8 counts
 * those buffers against the old generation's limit until a young collection frees them, which
 * comes only every ~32 MB of them. With gw's ~18 MB heap, V8's own limit leaves ~7 MB of room,
 * so relaying a large HTTP/2 body started a full mark every 40–50 MB: 2–3 for each 100 MB gRPC
 * stream, more CPU than the relaying itself (docs/grpc.md has the figures). With 4 × the room
 * outgrows that churn; the price is a heap that may reach ~4 × its live size between marks.
 *
 * V8 reads this flag each time it sets a new limit, so setting it after start takes effect at
 * the next full collection. Only the CLI calls this: a program embedding gw keeps its own heap.
 */
export function tuneHeapForRelaying(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return false;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
