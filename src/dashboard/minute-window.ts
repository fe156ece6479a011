/**
 * Per-second counters over the last minute in fixed memory: slot = second % 60, and a slot is
 * zeroed when a newer second reuses it. Time comes from the caller (event timestamps), never
 * from the clock, so the same events always give the same numbers.
 */
export const WINDOW_SECONDS = 60;

export interface MinuteCounter {
  readonly fields: number;
  /** The epoch second each slot holds (-1 when empty). */
  readonly seconds: Float64Array;
  /** WINDOW_SECONDS rows of `fields` counts. */
  readonly counts: Float64Array;
}

export function createMinuteCounter(fields = 1): MinuteCounter {
  return {
    fields,
    seconds: new Float64Array(WINDOW_SECONDS).fill(-1),
    counts: new Float64Array(WINDOW_SECONDS * fields),
  };
}

export function toSecond(atMs: number): number {
  return Math.floor(atMs / 1000);
}

/** Adds to one field of the second `atMs` falls in; events older than the slot's second are dropped. */
export function addToMinute(counter: MinuteCounter, atMs: number, field: number, amount = 1): void {
  const second = toSecond(atMs);
  const slot = second % WINDOW_SECONDS;
  const held = counter.seconds[slot] ?? -1;
  if (held > second) return;
  const row = slot * counter.fields;
  if (held !== second) {
    counter.seconds[slot] = second;
    counter.counts.fill(0, row, row + counter.fields);
  }
  counter.counts[row + field] = (counter.counts[row + field] ?? 0) + amount;
}

/** Count of one field in one whole second (0 when that second has left the window). */
export function countInSecond(counter: MinuteCounter, second: number, field: number): number {
  const slot = second % WINDOW_SECONDS;
  if (counter.seconds[slot] !== second) return 0;
  return counter.counts[slot * counter.fields + field] ?? 0;
}

/** Sum of one field over the `seconds` seconds up to and including the one `nowMs` falls in. */
export function sumMinute(
  counter: MinuteCounter,
  nowMs: number,
  field: number,
  seconds = WINDOW_SECONDS,
): number {
  const now = toSecond(nowMs);
  let sum = 0;
  for (let second = now - Math.min(seconds, WINDOW_SECONDS) + 1; second <= now; second += 1) {
    sum += countInSecond(counter, second, field);
  }
  return sum;
}

/** One value per second, oldest first, ending with the second `nowMs` falls in. */
export function minuteSeries(counter: MinuteCounter, nowMs: number, field: number): number[] {
  const now = toSecond(nowMs);
  const series: number[] = [];
  for (let second = now - WINDOW_SECONDS + 1; second <= now; second += 1) {
    series.push(countInSecond(counter, second, field));
  }
  return series;
}
