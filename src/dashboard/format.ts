/** Small text formatters shared by the dashboard components (no Ink here, so they test alone). */

const SPARKS = '▁▂▃▄▅▆▇█';

/** A sparkline of `width` characters; neighbouring values are summed when the series is longer. */
export function formatSparkline(values: readonly number[], width: number): string {
  if (width <= 0 || values.length === 0) return '';
  const groups = Math.min(width, values.length);
  const size = values.length / groups;
  const sums: number[] = [];
  for (let group = 0; group < groups; group += 1) {
    let sum = 0;
    for (let i = Math.floor(group * size); i < Math.floor((group + 1) * size); i += 1) sum += values[i] ?? 0;
    sums.push(sum);
  }
  const max = Math.max(...sums);
  return sums
    .map((sum) => (max === 0 || sum === 0 ? SPARKS[0] : SPARKS[Math.max(1, Math.ceil((sum / max) * 7))]))
    .join('');
}

export function formatLatency(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1) return `${ms.toFixed(1)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.round(ms / 1000)}s`;
}

export function formatRate(perSecond: number): string {
  if (perSecond === 0) return '0';
  if (perSecond < 10) return perSecond.toFixed(1);
  return String(Math.round(perSecond));
}

export function formatPercent(share: number | undefined): string {
  if (share === undefined) return '—';
  if (share === 0) return '0%';
  return share < 0.1 ? `${(share * 100).toFixed(1)}%` : `${Math.round(share * 100)}%`;
}

export function formatUptime(ms: number | undefined): string {
  if (ms === undefined) return '—';
  const seconds = Math.floor(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** Countdown in whole seconds, rounded up so "0 s" only shows once the window has reset. */
export function formatCountdown(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}

export function formatClock(at: number): string {
  const date = new Date(at);
  return [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
}

/** 'http://127.0.0.1:8001/v1' → ':8001/v1' (local targets differ by port); others keep their host. */
export function formatTarget(target: string | undefined): string {
  if (!target) return '—';
  try {
    const url = new URL(target);
    const local = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) && url.port !== '';
    const path = url.pathname === '/' ? '' : url.pathname;
    return (local ? `:${url.port}` : url.host) + path;
  } catch {
    return target;
  }
}

/** Cuts to `width` with an ellipsis, then pads (right-aligns numbers when asked). */
export function fitText(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const cut = text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
  return align === 'right' ? cut.padStart(width) : cut.padEnd(width);
}
