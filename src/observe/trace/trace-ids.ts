import { randomFillSync } from 'node:crypto';

/**
 * Random trace and span ids for W3C Trace Context (https://www.w3.org/TR/trace-context/#trace-id).
 * Every request gets at least a span id, so the bytes come from one pooled buffer refilled by a
 * single randomFillSync call per 4 KiB (one system call per ~500 ids instead of one per id).
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

function take(bytes: number): number {
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += bytes;
  return at;
}

/** An all-zero id is invalid (§3.2.2.3, §3.2.2.4): drawn again in that 2^-64 case. */
const ZERO_SPAN = '0000000000000000';
const ZERO_TRACE = ZERO_SPAN + ZERO_SPAN;

/** 16 random bytes as 32 lowercase hex digits. */
export function randomTraceId(): string {
  let id: string;
  do {
    const at = take(16);
    id = pool.toString('hex', at, at + 16);
  } while (id === ZERO_TRACE);
  return id;
}

/** 8 random bytes as 16 lowercase hex digits. */
export function randomSpanId(): string {
  let id: string;
  do {
    const at = take(8);
    id = pool.toString('hex', at, at + 8);
  } while (id === ZERO_SPAN);
  return id;
}
