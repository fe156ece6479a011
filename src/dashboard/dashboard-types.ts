import { KEPT_REQUESTS } from '../observe/har-log.js';
import type { PaneEvent } from './event-log.js';
import type { ConfigChanges, GatewayEvent, RequestFinished, RouteSummary } from '../events/index.js';
import type { GrpcMethodStats } from './grpc-calls.js';
import type { LatencyWindow } from './latency-histogram.js';
import type { MinuteCounter } from './minute-window.js';

/** The shape of the dashboard's state (dashboard-state.ts folds events into it). */

export interface DashboardCaps {
  liveRequests: number;
  /**
   * Successful requests the live list takes per 100 ms (errors always go in). Above that rate
   * nobody can read the list anyway, and holding every request for a moment made the gateway
   * spend ~8 % more time collecting garbage; counters and latencies still count every request.
   */
  liveSamplePer100ms: number;
  routes: number;
  limitEntries: number;
  targets: number;
  warnings: number;
}

export const defaultCaps: DashboardCaps = {
  liveRequests: KEPT_REQUESTS,
  liveSamplePer100ms: 25,
  routes: 200,
  limitEntries: 256,
  targets: 512,
  warnings: 3,
};

/** Fields of the per-second request counters. */
export const TOTAL = 0;
export const CLIENT_ERRORS = 1;
export const SERVER_ERRORS = 2;

export interface LiveRequest {
  /** Increasing number: a stable key and selection anchor while the list moves. */
  seq: number;
  request: RequestFinished;
}

export interface RouteStats {
  id: string;
  summary: RouteSummary | undefined;
  /** Until a route table names them: the service and targets its requests went to. */
  seen: { service: string | undefined; targets: string[] };
  counts: MinuteCounter;
  latency: LatencyWindow;
}

export interface TargetState {
  service: string;
  target: string;
  health: 'unknown' | 'healthy' | 'down';
  reason: string | undefined;
  breaker: 'closed' | 'open' | 'half-open';
  inFlight: number;
}

export interface LimitEntry {
  caller: string;
  routeId: string;
  policy: string;
  limit: number;
  remaining: number;
  resetAt: number;
  lastAt: number;
  refusals: MinuteCounter;
}

export interface ConfigErrorSummary {
  at: number;
  code: string;
  message: string;
  file: string | undefined;
  hint: string | undefined;
  problems: Array<{ path: string; message: string; expected?: string; received?: string; hint?: string }>;
}

export interface DashboardState {
  readonly caps: DashboardCaps;
  url: string | undefined;
  configFile: string | undefined;
  startedAt: number | undefined;
  lastLoad: { at: number; initial: boolean; changes: ConfigChanges; durationMs: number } | undefined;
  configError: ConfigErrorSummary | undefined;
  /** Route ids in config order (from the last route table). */
  routeOrder: string[];
  readonly routes: Map<string, RouteStats>;
  readonly totals: MinuteCounter;
  readonly live: {
    items: Array<LiveRequest | undefined>;
    head: number;
    size: number;
    nextSeq: number;
    /** The 100 ms window of the sample, and how many successful requests it took so far. */
    windowAt: number;
    windowTaken: number;
    /** Successful requests not listed (sampled out) since the list began, and the last one's time. */
    skipped: number;
    lastSkippedAt: number | undefined;
  };
  /** Keyed `service target`; insertion order doubles as least-recently-updated order. */
  readonly targets: Map<string, TargetState>;
  readonly limits: Map<string, LimitEntry>;
  /** gRPC and gRPC-Web calls by method, with their grpc-status names (grpc-calls.ts). */
  readonly grpcMethods: Map<string, GrpcMethodStats>;
  warnings: Array<{ at: number; message: string; hint?: string }>;
  /** Health changes, reloads and breaker transitions, oldest first (capped). */
  events: PaneEvent[];
  shutdown: { at: number; reason: string } | undefined;
}

/** Actions from the view itself (keys), beside gateway events. */
export type DashboardAction = GatewayEvent | { type: 'dashboard/clear' };
