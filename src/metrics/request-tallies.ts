import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * The two per-request metric families, counted in plain arrays and handed to prom-client's
 * registry only when it is scraped. prom-client builds and hashes a label string on every
 * `inc`/`observe` (about 1 µs of the ~3 µs per request that metrics cost, issue 7); here a request
 * costs one Map lookup by route (or service) and an array increment.
 */

interface Sample {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

// prom-client's own Counter and Histogram, registered and typed as such, whose values come from
// the tallies: `get()` (what a scrape calls) takes prom-client's empty family for its name, help,
// type and aggregator, and puts the tallied samples in it.

/** Anything else a client sends counts as OTHER, so a client cannot grow the label set. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'OTHER'] as const;
const METHOD_INDEX = new Map<string, number>(METHODS.map((method, i) => [method, i]));
const OTHER = METHODS.length - 1;
/** Status classes 1xx–5xx; anything outside is counted under its own hundred (0xx, 6xx …) too. */
const CLASSES = 10;

/** Requests answered, by route, method and status class. */
export class RequestCounter extends Counter {
  private readonly byRoute = new Map<string, Float64Array>();

  constructor(name: string, help: string, registry: Registry) {
    super({ name, help, labelNames: ['route', 'method', 'status_class'], registers: [registry] });
  }

  count(route: string, method: string, status: number): void {
    let counts = this.byRoute.get(route);
    if (!counts) this.byRoute.set(route, (counts = new Float64Array(METHODS.length * CLASSES)));
    const statusClass = Math.min(CLASSES - 1, Math.max(0, Math.floor(status / 100)));
    counts[(METHOD_INDEX.get(method) ?? OTHER) * CLASSES + statusClass]!++;
  }

  override reset(): void {
    this.byRoute?.clear();
    super.reset();
  }

  override async get() {
    const family = await super.get();
    const values: Sample[] = [];
    for (const [route, counts] of this.byRoute) {
      counts.forEach((value, i) => {
        if (value === 0) return;
        const method = METHODS[Math.floor(i / CLASSES)]!;
        values.push({ labels: { route, method, status_class: `${i % CLASSES}xx` }, value });
      });
    }
    return { ...family, values };
  }
}

interface Series {
  /** Per bucket (not cumulative), the last one for values above every bound (+Inf). */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A histogram with one label (route or service). */
export class KeyedHistogram extends Histogram {
  private readonly series = new Map<string, Series>();

  constructor(
    private readonly tallyName: string,
    private readonly tallyHelp: string,
    private readonly labelName: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    super({
      name: tallyName,
      help: tallyHelp,
      labelNames: [labelName],
      buckets: [...bounds],
      registers: [registry],
    });
  }

  record(key: string, value: number): void {
    let series = this.series.get(key);
    if (!series) {
      series = { counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    let bucket = 0;
    while (bucket < this.bounds.length && value > this.bounds[bucket]!) bucket++;
    series.counts[bucket]!++;
    series.sum += value;
    series.count++;
  }

  override reset(): void {
    this.series?.clear();
    super.reset();
  }

  /**
   * What prom-client reads a histogram through, for the text format and for `get()` (its own
   * method, outside its published types): the tallied buckets instead of its empty ones.
   */
  getForPromString() {
    const name = this.tallyName;
    const values: Sample[] = [];
    for (const [key, series] of this.series) {
      let cumulative = 0;
      series.counts.forEach((count, i) => {
        cumulative += count;
        const le = i < this.bounds.length ? this.bounds[i]! : '+Inf';
        values.push({
          metricName: `${name}_bucket`,
          labels: { le, [this.labelName]: key },
          value: cumulative,
        });
      });
      values.push({ metricName: `${name}_sum`, labels: { [this.labelName]: key }, value: series.sum });
      values.push({ metricName: `${name}_count`, labels: { [this.labelName]: key }, value: series.count });
    }
    return Promise.resolve({ name, help: this.tallyHelp, type: 'histogram', values, aggregator: 'sum' });
  }
}
