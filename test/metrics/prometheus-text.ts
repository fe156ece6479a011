/**
 * A strict parser of the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): it throws on anything a
 * Prometheus server would reject, and checks histogram invariants on top.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help?: string;
  samples: Sample[];
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const types = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, line: number): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`line ${line}: bad value '${text}'`);
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq === -1) throw new Error(`line ${line}: label without '='`);
    const name = text.slice(i, eq);
    if (!labelName.test(name)) throw new Error(`line ${line}: bad label name '${name}'`);
    if (name in labels) throw new Error(`line ${line}: duplicate label '${name}'`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value not quoted`);
    let value = '';
    let j = eq + 2;
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '"') break;
      if (c === '\n') throw new Error(`line ${line}: raw newline in label value`);
      if (c === '\\') {
        const next = text[j + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`line ${line}: bad escape '\\${next}'`);
        j += 2;
        continue;
      }
      value += c;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i !== text.length) throw new Error(`line ${line}: expected ',' between labels`);
  }
  return labels;
}

/** Which family a sample name belongs to (histograms add _bucket, _sum and _count). */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(name);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const family = families.get(name.slice(0, -suffix.length));
    if (family && (family.type === 'histogram' || (family.type === 'summary' && suffix !== '_bucket')))
      return family;
  }
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  const seenSeries = new Set<string>();
  let current: Family | undefined;
  text
    .slice(0, -1)
    .split('\n')
    .forEach((raw, index) => {
      const line = index + 1;
      if (raw.trim() === '') return;
      if (raw.startsWith('#')) {
        const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
        if (!match) return; // a plain comment
        const [, kind, name, rest] = match as unknown as [string, string, string, string];
        if (!metricName.test(name)) throw new Error(`line ${line}: bad metric name '${name}'`);
        let family = families.get(name);
        if (family && family !== current) throw new Error(`line ${line}: ${name} appears in two places`);
        if (!family) {
          family = { name, type: 'untyped', samples: [] };
          families.set(name, family);
        }
        current = family;
        if (kind === 'TYPE') {
          if (!types.has(rest)) throw new Error(`line ${line}: bad type '${rest}'`);
          if (family.samples.length > 0) throw new Error(`line ${line}: TYPE after samples of ${name}`);
          family.type = rest as Family['type'];
        } else {
          if (family.help !== undefined) throw new Error(`line ${line}: second HELP for ${name}`);
          family.help = rest;
        }
        return;
      }
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(raw);
      if (!match) throw new Error(`line ${line}: not a sample: ${raw}`);
      const [, name, , labelText, valueText] = match as unknown as [
        string,
        string,
        string,
        string | undefined,
        string,
      ];
      const family = familyOf(name, families);
      if (!family || family !== current) throw new Error(`line ${line}: sample ${name} outside its family`);
      const labels = labelText ? parseLabels(labelText, line) : {};
      const series = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (seenSeries.has(series)) throw new Error(`line ${line}: duplicate series ${series}`);
      seenSeries.add(series);
      family.samples.push({ name, labels, value: parseValue(valueText, line) });
    });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function checkHistogram(family: Family): void {
  const groups = new Map<string, Sample[]>();
  for (const sample of family.samples) {
    if (sample.name !== `${family.name}_bucket`) continue;
    if (sample.labels.le === undefined) throw new Error(`${family.name}: bucket without le`);
    const { le: _le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), sample]);
  }
  for (const [key, buckets] of groups) {
    let previous = -Infinity;
    let count = 0;
    for (const bucket of buckets) {
      const le = parseValue(bucket.labels.le!, 0);
      if (le <= previous) throw new Error(`${family.name}${key}: buckets out of order`);
      if (bucket.value < count) throw new Error(`${family.name}${key}: buckets not cumulative`);
      previous = le;
      count = bucket.value;
    }
    if (previous !== Infinity) throw new Error(`${family.name}${key}: no +Inf bucket`);
    const total = family.samples.find(
      (s) => s.name === `${family.name}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key,
    );
    if (total?.value !== count) throw new Error(`${family.name}${key}: _count differs from the +Inf bucket`);
  }
}

/** The value of one series, by exact labels. */
export function valueOf(
  families: Map<string, Family>,
  family: string,
  labels: Record<string, string>,
  sample = family,
): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return families
    .get(family)
    ?.samples.find((s) => s.name === sample && JSON.stringify(Object.entries(s.labels).sort()) === want)
    ?.value;
}
