import { WINDOW_SECONDS, toSecond } from './minute-window.js';

/**
 * Latency percentiles over the last minute without keeping samples: one log-scale histogram per
 * second (buckets grow by 15 %, so a percentile is within ~7 % of the true value), 60 of them in
 * one typed array. Memory is fixed whatever the request rate.
 */
const MIN_MS = 0.05;
const RATIO = 1.15;
const LOG_RATIO = Math.log(RATIO);
export const LATENCY_BUCKETS = 110;

export interface LatencyWindow {
  readonly seconds: Float64Array;
  readonly counts: Uint32Array;
}

export function createLatencyWindow(): LatencyWindow {
  return {
    seconds: new Float64Array(WINDOW_SECONDS).fill(-1),
    counts: new Uint32Array(WINDOW_SECONDS * LATENCY_BUCKETS),
  };
}

function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return Math.min(LATENCY_BUCKETS - 1, 1 + Math.floor(Math.log(ms / MIN_MS) / LOG_RATIO));
}

/** The value a bucket stands for: the geometric middle of its bounds. */
function valueOf(bucket: number): number {
  return bucket === 0 ? MIN_MS : MIN_MS * RATIO ** (bucket - 0.5);
}

export function recordLatency(window: LatencyWindow, atMs: number, ms: number): void {
  const second = toSecond(atMs);
  const slot = second % WINDOW_SECONDS;
  const held = window.seconds[slot] ?? -1;
  if (held > second) return;
  const row = slot * LATENCY_BUCKETS;
  if (held !== second) {
    window.seconds[slot] = second;
    window.counts.fill(0, row, row + LATENCY_BUCKETS);
  }
  const index = row + bucketOf(ms);
  window.counts[index] = (window.counts[index] ?? 0) + 1;
}

/** Nearest-rank percentiles (quantiles in 0..1) over the last minute; undefined without samples. */
export function latencyPercentiles(
  window: LatencyWindow,
  nowMs: number,
  quantiles: readonly number[],
): Array<number | undefined> {
  const now = toSecond(nowMs);
  const merged = new Float64Array(LATENCY_BUCKETS);
  let total = 0;
  for (let slot = 0; slot < WINDOW_SECONDS; slot += 1) {
    const second = window.seconds[slot] ?? -1;
    if (second > now || second <= now - WINDOW_SECONDS) continue;
    const row = slot * LATENCY_BUCKETS;
    for (let bucket = 0; bucket < LATENCY_BUCKETS; bucket += 1) {
      const count = window.counts[row + bucket] ?? 0;
      merged[bucket] = (merged[bucket] ?? 0) + count;
      total += count;
    }
  }
  if (total === 0) return quantiles.map(() => undefined);
  return quantiles.map((quantile) => {
    const rank = Math.max(1, Math.ceil(quantile * total));
    let seen = 0;
    for (let bucket = 0; bucket < LATENCY_BUCKETS; bucket += 1) {
      seen += merged[bucket] ?? 0;
      if (seen >= rank) return valueOf(bucket);
    }
    return valueOf(LATENCY_BUCKETS - 1);
  });
}
