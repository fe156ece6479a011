import type { GatewayEvent, RequestFinished, RouteSummary } from '../events/index.js';
import {
  CLIENT_ERRORS,
  SERVER_ERRORS,
  TOTAL,
  defaultCaps,
  type ConfigErrorSummary,
  type DashboardAction,
  type DashboardCaps,
  type DashboardState,
  type LiveRequest,
  type RouteStats,
  type TargetState,
} from './dashboard-types.js';
import { isPaneEvent } from './event-log.js';
import { recordGrpcCall } from './grpc-calls.js';
import { createLatencyWindow, recordLatency } from './latency-histogram.js';
import { addToMinute, createMinuteCounter } from './minute-window.js';

/**
 * The state behind the dashboard: a reducer over gateway events. Time comes only from the
 * events' `at` (and from `now` passed to the selectors in dashboard-view.ts), never the clock.
 *
 * Events arrive synchronously on the request path, so each one costs O(1): counters, fixed
 * histograms, a ring buffer and capped maps. The reducer updates those aggregates in place and
 * returns the same object, because copying them per event would put O(size) work on every
 * request; it is still deterministic (same events → same state) and never touches I/O or Ink.
 */

export function createDashboardState(
  seed: { url?: string; configFile?: string; startedAt?: number } = {},
  caps: DashboardCaps = defaultCaps,
): DashboardState {
  return {
    caps,
    url: seed.url,
    configFile: seed.configFile,
    startedAt: seed.startedAt,
    lastLoad: undefined,
    configError: undefined,
    routeOrder: [],
    routes: new Map(),
    totals: createMinuteCounter(3),
    live: {
      items: new Array<LiveRequest | undefined>(caps.liveRequests),
      head: 0,
      size: 0,
      nextSeq: 1,
      windowAt: 0,
      windowTaken: 0,
      skipped: 0,
      lastSkippedAt: undefined,
    },
    targets: new Map(),
    limits: new Map(),
    grpcMethods: new Map(),
    warnings: [],
    events: [],
    shutdown: undefined,
  };
}

/** The events pane keeps this many lines (they are rare: health, reloads, breakers). */
const EVENT_LINES = 50;

export function reduceDashboard(state: DashboardState, action: DashboardAction): DashboardState {
  if (isPaneEvent(action)) {
    // The event itself is kept (the view words it): amortised O(1), trimmed in batches.
    state.events.push(action);
    if (state.events.length > EVENT_LINES * 2) state.events.splice(0, state.events.length - EVENT_LINES);
  }
  switch (action.type) {
    case 'request-finished':
      recordRequest(state, action);
      break;
    case 'limit-checked':
      recordLimit(state, action);
      break;
    case 'listening':
      state.url = action.url;
      state.configFile = action.configFile ?? state.configFile;
      state.startedAt = action.at;
      if (action.routeTable) applyRouteTable(state, action.routeTable);
      break;
    case 'config-loaded':
      state.configFile = action.file ?? state.configFile;
      state.lastLoad = {
        at: action.at,
        initial: action.initial,
        changes: action.changes,
        durationMs: action.durationMs,
      };
      state.configError = undefined;
      if (action.routeTable) applyRouteTable(state, action.routeTable);
      break;
    case 'config-rejected':
      state.configError = summarizeConfigError(action.at, action.file, action.error);
      break;
    case 'target-health':
      Object.assign(touchTarget(state, action.service, action.target), {
        health: action.healthy ? 'healthy' : 'down',
        reason: action.healthy ? undefined : action.reason,
      });
      break;
    case 'breaker-state':
      touchTarget(state, action.service, action.target).breaker = action.state;
      break;
    case 'targets-snapshot':
      for (const snapshot of action.targets) {
        const target = touchTarget(state, snapshot.service, snapshot.target);
        target.health = snapshot.state === 'unknown' ? 'unknown' : snapshot.healthy ? 'healthy' : 'down';
        target.reason = snapshot.healthy ? undefined : snapshot.reason;
        target.inFlight = snapshot.inFlight;
      }
      break;
    case 'warning':
      pushWarning(state, {
        at: action.at,
        message: action.message,
        ...(action.hint ? { hint: action.hint } : {}),
      });
      break;
    case 'store-warning':
      pushWarning(state, { at: action.at, message: action.message });
      break;
    case 'shutdown':
      state.shutdown = { at: action.at, reason: action.reason };
      break;
    case 'dashboard/clear':
      state.live.items.fill(undefined);
      state.live.size = 0;
      break;
    default:
      // request-started, upstream-error, auth-failed and events added later: the counters
      // above already show their effect (request-finished carries status and markers). The
      // store does not subscribe to the first three (dashboard-store.ts).
      break;
  }
  return state;
}

function recordRequest(state: DashboardState, request: RequestFinished): void {
  const statusField = request.status >= 500 ? SERVER_ERRORS : request.status >= 400 ? CLIENT_ERRORS : -1;
  addToMinute(state.totals, request.at, TOTAL);
  if (statusField >= 0) addToMinute(state.totals, request.at, statusField);

  const { live } = state;
  if (listed(state, request)) {
    const capacity = live.items.length;
    live.items[live.head] = { seq: live.nextSeq, request };
    live.nextSeq += 1;
    live.head = (live.head + 1) % capacity;
    live.size = Math.min(live.size + 1, capacity);
  }

  recordGrpcCall(state.grpcMethods, request);

  if (request.routeId === undefined) return;
  let route = state.routes.get(request.routeId);
  if (!route) {
    // A route the last table did not list (an event from before the table arrived): counted
    // while there is room, so a flood of odd ids cannot grow memory.
    if (state.routes.size >= state.caps.routes) return;
    route = createRouteStats(request.routeId, undefined);
    state.routes.set(request.routeId, route);
  }
  addToMinute(route.counts, request.at, TOTAL);
  if (statusField >= 0) addToMinute(route.counts, request.at, statusField);
  recordLatency(route.latency, request.at, request.durationMs);
  if (!route.summary) noteDestination(route, request);
}

/** Every error, and successful requests up to the sample rate of the current 100 ms. */
function listed(state: DashboardState, request: RequestFinished): boolean {
  const { live } = state;
  if (request.at - live.windowAt >= 100 || request.at < live.windowAt) {
    live.windowAt = request.at;
    live.windowTaken = 0;
  }
  if (request.status >= 400) return true;
  if (live.windowTaken >= state.caps.liveSamplePer100ms) {
    live.skipped += 1;
    live.lastSkippedAt = request.at;
    return false;
  }
  live.windowTaken += 1;
  return true;
}

const MAX_SEEN_TARGETS = 8;

function noteDestination(route: RouteStats, request: RequestFinished): void {
  const { seen } = route;
  seen.service ??= request.service;
  const { target } = request;
  if (target && seen.targets.length < MAX_SEEN_TARGETS && !seen.targets.includes(target))
    seen.targets.push(target);
}

function recordLimit(state: DashboardState, event: Extract<GatewayEvent, { type: 'limit-checked' }>): void {
  const key = `${event.routeId}\u0000${event.caller}\u0000${event.policy}`;
  let entry = state.limits.get(key);
  if (entry) {
    state.limits.delete(key);
  } else {
    entry = {
      caller: event.caller,
      routeId: event.routeId,
      policy: event.policy,
      limit: event.limit,
      remaining: event.remaining,
      resetAt: event.at + event.resetMs,
      lastAt: event.at,
      refusals: createMinuteCounter(1),
    };
  }
  // Re-inserting keeps the map in least-recently-updated order, so eviction drops the stalest.
  state.limits.set(key, entry);
  entry.limit = event.limit;
  entry.remaining = event.remaining;
  entry.resetAt = event.at + event.resetMs;
  entry.lastAt = event.at;
  if (!event.allowed) addToMinute(entry.refusals, event.at, 0);
  evictOldest(state.limits, state.caps.limitEntries);
}

function touchTarget(state: DashboardState, service: string, target: string): TargetState {
  const key = `${service}\u0000${target}`;
  let entry = state.targets.get(key);
  if (entry) return entry;
  entry = { service, target, health: 'unknown', reason: undefined, breaker: 'closed', inFlight: 0 };
  state.targets.set(key, entry);
  evictOldest(state.targets, state.caps.targets);
  return entry;
}

function applyRouteTable(state: DashboardState, table: readonly RouteSummary[]): void {
  const kept = table.slice(0, state.caps.routes);
  const ids = new Set(kept.map((route) => route.id));
  for (const id of state.routes.keys()) if (!ids.has(id)) state.routes.delete(id);
  for (const summary of kept) {
    const existing = state.routes.get(summary.id);
    if (existing) existing.summary = summary;
    else state.routes.set(summary.id, createRouteStats(summary.id, summary));
  }
  state.routeOrder = kept.map((route) => route.id);
}

function createRouteStats(id: string, summary: RouteSummary | undefined): RouteStats {
  return {
    id,
    summary,
    seen: { service: undefined, targets: [] },
    counts: createMinuteCounter(3),
    latency: createLatencyWindow(),
  };
}

function pushWarning(state: DashboardState, warning: { at: number; message: string; hint?: string }): void {
  state.warnings = [...state.warnings, warning].slice(-state.caps.warnings);
}

function evictOldest<K, V>(map: Map<K, V>, cap: number): void {
  while (map.size > cap) {
    const oldest = map.keys().next();
    if (oldest.done) return;
    map.delete(oldest.value);
  }
}

/** Keeps what the banner needs from a rejected config (file, field paths, hint), as plain data. */
function summarizeConfigError(at: number, file: string | undefined, error: unknown): ConfigErrorSummary {
  const value = (error ?? {}) as Partial<{
    code: string;
    message: string;
    file: string;
    hint: string;
    problems: ConfigErrorSummary['problems'];
  }>;
  return {
    at,
    code: typeof value.code === 'string' ? value.code : 'GW_CONFIG_LOAD_FAILED',
    message: typeof value.message === 'string' ? value.message : String(error),
    file: value.file ?? file,
    hint: value.hint,
    problems: Array.isArray(value.problems) ? value.problems.slice(0, 50) : [],
  };
}
