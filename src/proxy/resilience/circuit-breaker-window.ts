/**
 * Two counters over a sliding window, kept in a ring of buckets: adding and reading are O(1)
 * amortised and the memory is fixed, whatever the traffic. Breakers count requests and failures
 * with it; the retry budget counts requests and retries.
 */
export class RollingCounts {
  private readonly first: Float64Array;
  private readonly second: Float64Array;
  private readonly bucketMs: number;
  private head = 0;
  private headStart = Number.NEGATIVE_INFINITY;
  private sumFirst = 0;
  private sumSecond = 0;

  constructor(windowMs: number, buckets = 10) {
    this.first = new Float64Array(buckets);
    this.second = new Float64Array(buckets);
    this.bucketMs = Math.max(1, windowMs / buckets);
  }

  add(now: number, first: number, second: number): void {
    this.advance(now);
    this.first[this.head]! += first;
    this.second[this.head]! += second;
    this.sumFirst += first;
    this.sumSecond += second;
  }

  clear(): void {
    this.headStart = Number.NEGATIVE_INFINITY;
    this.advance(0);
  }

  /** Totals over the window ending now: [first, second]. */
  totals(now: number): readonly [number, number] {
    this.advance(now);
    return [this.sumFirst, this.sumSecond];
  }

  private advance(now: number): void {
    const steps = Math.floor((now - this.headStart) / this.bucketMs);
    if (steps <= 0) return;
    const size = this.first.length;
    if (steps >= size) {
      this.first.fill(0);
      this.second.fill(0);
      this.sumFirst = 0;
      this.sumSecond = 0;
      this.head = 0;
      this.headStart = now;
      return;
    }
    for (let i = 0; i < steps; i++) {
      this.head = (this.head + 1) % size;
      this.sumFirst -= this.first[this.head]!;
      this.sumSecond -= this.second[this.head]!;
      this.first[this.head] = 0;
      this.second[this.head] = 0;
    }
    this.headStart += steps * this.bucketMs;
  }
}
