import type { RequestFinished } from '../events/index.js';
import {
  CLIENT_ERRORS,
  SERVER_ERRORS,
  TOTAL,
  type ConfigErrorSummary,
  type DashboardState,
  type LimitEntry,
  type LiveRequest,
  type TargetState,
} from './dashboard-types.js';
import { latencyPercentiles } from './latency-histogram.js';
import { minuteSeries, sumMinute, toSecond } from './minute-window.js';

/**
 * Pure selectors from dashboard state to what the view draws. They run once per frame (at most
 * ~10 times a second), never per event, so this is where the heavier work (percentiles, sorting)
 * belongs. `now` is always passed in.
 */

/** "req/s now" averages the last few whole seconds, so one slow second does not read as zero. */
const RATE_SECONDS = 5;

export interface HeaderView {
  url: string | undefined;
  configFile: string | undefined;
  uptimeMs: number | undefined;
  ratePerSecond: number;
  /** Requests per second over the last minute, oldest first. */
  series: number[];
  /** Share of 5xx answers over the last minute; undefined without requests. */
  errorRate: number | undefined;
  /** Share of 4xx answers over the last minute; undefined without requests. */
  clientErrorRate: number | undefined;
  lastLoad: DashboardState['lastLoad'];
  configError: ConfigErrorSummary | undefined;
  warnings: DashboardState['warnings'];
  shutdown: DashboardState['shutdown'];
}

export type TargetStatus = 'healthy' | 'down' | 'open' | 'half-open' | 'unknown';

export interface TargetCell {
  target: string;
  status: TargetStatus;
  inFlight: number;
  reason: string | undefined;
}

export interface RouteRow {
  id: string;
  methods: string;
  path: string;
  service: string | undefined;
  ratePerSecond: number;
  p50: number | undefined;
  p95: number | undefined;
  p99: number | undefined;
  clientErrors: number;
  serverErrors: number;
  targets: TargetCell[];
}

export interface LimitRow {
  caller: string;
  routeId: string;
  policy: string;
  used: number;
  limit: number;
  remaining: number;
  resetsInMs: number;
  refusals: number;
}

const WARNING_TTL_MS = 60_000;

export function selectHeader(state: DashboardState, now: number): HeaderView {
  const total = sumMinute(state.totals, now, TOTAL);
  return {
    url: state.url,
    configFile: state.configFile,
    uptimeMs: state.startedAt === undefined ? undefined : Math.max(0, now - state.startedAt),
    ratePerSecond: rateNow(state.totals, now),
    series: minuteSeries(state.totals, now, TOTAL),
    errorRate: total === 0 ? undefined : sumMinute(state.totals, now, SERVER_ERRORS) / total,
    clientErrorRate: total === 0 ? undefined : sumMinute(state.totals, now, CLIENT_ERRORS) / total,
    lastLoad: state.lastLoad,
    configError: state.configError,
    warnings: state.warnings.filter((warning) => now - warning.at < WARNING_TTL_MS),
    shutdown: state.shutdown,
  };
}

function rateNow(counter: DashboardState['totals'], now: number): number {
  // Whole seconds only: the second in progress would read low.
  const lastWhole = (toSecond(now) - 1) * 1000;
  return sumMinute(counter, lastWhole, TOTAL, RATE_SECONDS) / RATE_SECONDS;
}

export function selectRoutes(state: DashboardState, now: number, limit = Infinity): RouteRow[] {
  const ids = [
    ...state.routeOrder,
    ...[...state.routes.keys()].filter((id) => !state.routeOrder.includes(id)),
  ];
  const rows: RouteRow[] = [];
  for (const id of ids) {
    if (rows.length >= limit) break;
    const route = state.routes.get(id);
    if (!route) continue;
    const [p50, p95, p99] = latencyPercentiles(route.latency, now, [0.5, 0.95, 0.99]);
    const summary = route.summary;
    const service = summary ? summary.service : route.seen.service;
    rows.push({
      id,
      methods: summary ? (summary.methods.length > 0 ? summary.methods.join(',') : '*') : '—',
      path: summary?.path ?? id,
      service,
      ratePerSecond: rateNow(route.counts, now),
      p50,
      p95,
      p99,
      clientErrors: sumMinute(route.counts, now, CLIENT_ERRORS),
      serverErrors: sumMinute(route.counts, now, SERVER_ERRORS),
      targets: (summary ? summary.targets : route.seen.targets).map((target) =>
        toTargetCell(
          target,
          service === undefined ? undefined : state.targets.get(`${service}\u0000${target}`),
        ),
      ),
    });
  }
  return rows;
}

function toTargetCell(target: string, known: TargetState | undefined): TargetCell {
  if (!known) return { target, status: 'unknown', inFlight: 0, reason: undefined };
  const status: TargetStatus =
    known.breaker === 'open'
      ? 'open'
      : known.breaker === 'half-open'
        ? 'half-open'
        : known.health === 'down'
          ? 'down'
          : known.health === 'healthy'
            ? 'healthy'
            : 'unknown';
  return { target, status, inFlight: known.inFlight, reason: known.reason };
}

/** The live list, newest first, narrowed by the `/` filter. */
export function selectLive(state: DashboardState, filter = ''): LiveRequest[] {
  const { items, head, size } = state.live;
  const capacity = items.length;
  const matches = compileFilter(filter);
  const list: LiveRequest[] = [];
  for (let i = 1; i <= size; i += 1) {
    const entry = items[(head - i + capacity) % capacity];
    if (entry && matches(entry.request)) list.push(entry);
  }
  return list;
}

/** The same filter over a list kept aside (the paused list). */
export function filterLive(entries: readonly LiveRequest[], filter: string): LiveRequest[] {
  const matches = compileFilter(filter);
  return entries.filter((entry) => matches(entry.request));
}

/**
 * `/` filter: every word must match. "404" matches a status, "5xx" a status class, anything
 * else a part of the path, caller, method or route.
 */
export function compileFilter(filter: string): (request: RequestFinished) => boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return () => true;
  const tests = words.map((word): ((request: RequestFinished) => boolean) => {
    if (/^\d{3}$/.test(word)) return (request) => String(request.status) === word;
    if (/^[1-5]xx$/.test(word)) return (request) => String(request.status)[0] === word[0];
    return (request) =>
      request.path.toLowerCase().includes(word) ||
      request.method.toLowerCase() === word ||
      (request.caller?.toLowerCase().includes(word) ?? false) ||
      (request.routeId?.toLowerCase().includes(word) ?? false);
  });
  return (request) => tests.every((test) => test(request));
}

/** Callers closest to their limits: most of the window used first, then most refusals. */
export function selectLimits(state: DashboardState, now: number, limit = 5): LimitRow[] {
  const rows: LimitRow[] = [];
  for (const entry of state.limits.values()) {
    const resetsInMs = Math.max(0, entry.resetAt - now);
    // Past its reset the window is whole again, whatever the last event said.
    const remaining = resetsInMs === 0 ? entry.limit : entry.remaining;
    const refusals = sumMinute(entry.refusals, now, 0);
    const used = entry.limit - remaining;
    if (used <= 0 && refusals === 0) continue;
    rows.push({
      caller: entry.caller,
      routeId: entry.routeId,
      policy: entry.policy,
      used,
      limit: entry.limit,
      remaining,
      resetsInMs,
      refusals,
    });
  }
  rows.sort(
    (a, b) => b.used / Math.max(1, b.limit) - a.used / Math.max(1, a.limit) || b.refusals - a.refusals,
  );
  return rows.slice(0, limit);
}

/**
 * The most used limit of a caller on a route (anonymous callers are limited by IP): what the
 * detail view shows beside a request, and how it explains a 429 whose event gave no reason.
 */
export function findLimit(
  state: DashboardState,
  request: RequestFinished,
  now: number,
): LimitEntry | undefined {
  const caller = request.caller ?? request.clientIp;
  let found: LimitEntry | undefined;
  let foundShare = -1;
  for (const entry of state.limits.values()) {
    if (entry.routeId !== request.routeId || entry.caller !== caller) continue;
    const share = entry.resetAt > now ? (entry.limit - entry.remaining) / Math.max(1, entry.limit) : 0;
    if (share >= foundShare) {
      found = entry;
      foundShare = share;
    }
  }
  return found;
}
