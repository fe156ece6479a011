import type { Metric, Registry } from 'prom-client';

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

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: Sample[];
  aggregator: 'sum';
}

/** What prom-client's Registry needs of a metric: its name, help, type and values on demand. */
abstract class TalliedFamily {
  readonly aggregator = 'sum' as const;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
  ) {}
  abstract reset(): void;
  protected abstract samples(): Sample[];
  get(): Family {
    return { name: this.name, help: this.help, type: this.type, values: this.samples(), aggregator: 'sum' };
  }
  register(registry: Registry): this {
    registry.registerMetric(this as unknown as Metric);
    return this;
  }
}

/** Anything else a client sends counts as OTHER, so a client cannot grow the label set. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'OTHER'] as const;
const METHOD_INDEX = new Map<string, number>(METHODS.map((method, i) => [method, i]));
const OTHER = METHODS.length - 1;
/** Status classes 1xx–5xx; anything outside is counted under its own hundred (0xx, 6xx …) too. */
const CLASSES = 10;

/** Requests answered, by route, method and status class. */
export class RequestCounter extends TalliedFamily {
  private readonly byRoute = new Map<string, Float64Array>();

  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }

  inc(route: string, method: string, status: number): void {
    let counts = this.byRoute.get(route);
    if (!counts) this.byRoute.set(route, (counts = new Float64Array(METHODS.length * CLASSES)));
    const statusClass = Math.min(CLASSES - 1, Math.max(0, Math.floor(status / 100)));
    counts[(METHOD_INDEX.get(method) ?? OTHER) * CLASSES + statusClass]!++;
  }

  reset(): void {
    this.byRoute.clear();
  }

  protected samples(): Sample[] {
    const samples: Sample[] = [];
    for (const [route, counts] of this.byRoute) {
      counts.forEach((value, i) => {
        if (value === 0) return;
        const method = METHODS[Math.floor(i / CLASSES)]!;
        samples.push({ labels: { route, method, status_class: `${i % CLASSES}xx` }, value });
      });
    }
    return samples;
  }
}

interface Series {
  /** Per bucket (not cumulative), the last one for values above every bound (+Inf). */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A histogram with one label (route or service). */
export class KeyedHistogram extends TalliedFamily {
  private readonly series = new Map<string, Series>();

  constructor(
    name: string,
    help: string,
    private readonly labelName: string,
    private readonly bounds: readonly number[],
  ) {
    super(name, help, 'histogram');
  }

  observe(key: string, value: number): void {
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

  reset(): void {
    this.series.clear();
  }

  protected samples(): Sample[] {
    const samples: Sample[] = [];
    for (const [key, series] of this.series) {
      let cumulative = 0;
      series.counts.forEach((count, i) => {
        cumulative += count;
        const le = i < this.bounds.length ? this.bounds[i]! : '+Inf';
        samples.push({
          metricName: `${this.name}_bucket`,
          labels: { le, [this.labelName]: key },
          value: cumulative,
        });
      });
      samples.push({ metricName: `${this.name}_sum`, labels: { [this.labelName]: key }, value: series.sum });
      samples.push({
        metricName: `${this.name}_count`,
        labels: { [this.labelName]: key },
        value: series.count,
      });
    }
    return samples;
  }
}
