import type { GatewayError } from '../errors.js';

/** What changed between two loaded configs, by route id. */
export interface ConfigChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

/** Markers a request picks up on its way through the policies (dashboard and logs show them). */
export interface RequestOutcome {
  cache?: 'HIT' | 'MISS' | 'BYPASS';
  limited?: boolean;
  /** Requests the caller has left under its tightest rate limit after this one. */
  limitRemaining?: number;
  retries?: number;
  mocked?: boolean;
  fault?: string;
  partial?: boolean;
  /** The policy that answered instead of the upstream (auth, rate-limit, cors, mock, breaker …). */
  answeredBy?: string;
  /** Why that policy answered, in one readable sentence. */
  reason?: string;
  /** The GW_* code of an error answer gw wrote itself (a 401, 429, 502, 503, 504 …). */
  code?: string;
  /** That error's hint, as the problem+json body gave it. */
  hint?: string;
  /**
   * Where the upstream's answer breaks its OpenAPI operation, on a route with validate.response
   * 'warn' (served as it came): `{ location, expected }` per violation, with the operation.
   */
  drift?: { operation: string; violations: ReadonlyArray<{ location: string; expected: string }> };
}

/** One body as kept for inspection: its first inspect.maxBodyBytes bytes as sent, and its size. */
export interface KeptBody {
  /** Undefined when there was no body, or once the memory bound let it go. */
  readonly bytes: Buffer | undefined;
  /** Bytes that went by in all (more than `bytes` holds when it was cut). */
  readonly size: number;
}

/** A request's bodies, kept when inspect.bodies is on (src/observe/inspect/). */
export interface InspectedBodies {
  readonly request: KeptBody;
  readonly answer: KeptBody;
  /** False once the memory bound (inspect.maxTotalBytes) let this request's bodies go. */
  readonly kept: boolean;
  /** The client's target and head as they came, unredacted: redact before showing. */
  readonly clientUrl: string;
  readonly clientHeaders: readonly string[];
  readonly secure: boolean;
  /** inspect.redact: body fields masked wherever these bodies are shown or exported. */
  readonly redact: readonly string[];
}

export interface RequestFinished {
  type: 'request-finished';
  id: string;
  at: number;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  /** Time spent waiting on the upstream, when one was called. */
  upstreamMs?: number;
  routeId?: string;
  service?: string;
  target?: string;
  upstreamUrl?: string;
  clientIp: string;
  /** The client's HTTP version: '1.1', '1.0' or '2.0'. */
  httpVersion?: string;
  /** Key name or token subject, once verified. */
  caller?: string;
  /** A gRPC or gRPC-Web call's grpc-status by name ('OK', 'UNAVAILABLE' …), when it ended with one. */
  grpcStatus?: string;
  /** The W3C trace id the request was forwarded under (the caller's, or one gw started). */
  traceId?: string;
  outcome: RequestOutcome;
  requestHeaders?: Record<string, string | string[] | undefined>;
  /** As an object, or as the flat [name, value, …] list the client was sent. */
  responseHeaders?: Record<string, string | string[] | number | undefined> | readonly string[];
  /** The bodies, when inspect.bodies is on and the request reached a route. */
  bodies?: InspectedBodies;
}

export interface LimitChecked {
  type: 'limit-checked';
  at: number;
  routeId: string;
  caller: string;
  /** e.g. "10 per 1m" */
  policy: string;
  limit: number;
  remaining: number;
  resetMs: number;
  allowed: boolean;
}

/** One route as the dashboard shows it (sent with `listening` and `config-loaded`). */
export interface RouteSummary {
  id: string;
  /** Empty when the route accepts every method. */
  methods: string[];
  path: string;
  service?: string;
  /** Target keys of the route's service, e.g. 'http://127.0.0.1:8001'. */
  targets: string[];
}

/** One target's live state; the dev server samples the pools about once a second. */
export interface TargetSnapshot {
  service: string;
  target: string;
  healthy: boolean;
  /** `unknown` until first probed or used (then `healthy` says the rest). */
  state?: 'unknown' | 'healthy' | 'unhealthy';
  inFlight: number;
  reason?: string;
}

/** Every event gw emits. Later capabilities add members; subscribers ignore what they don't know. */
export type GatewayEvent =
  | {
      type: 'listening';
      at: number;
      url: string;
      configFile?: string;
      routes: number;
      routeTable?: RouteSummary[];
    }
  | {
      type: 'config-loaded';
      at: number;
      file?: string;
      routes: number;
      changes: ConfigChanges;
      durationMs: number;
      initial: boolean;
      routeTable?: RouteSummary[];
    }
  | { type: 'config-rejected'; at: number; file?: string; error: GatewayError }
  | { type: 'request-started'; at: number; id: string; method: string; path: string }
  | RequestFinished
  | {
      type: 'upstream-error';
      at: number;
      id: string;
      service: string;
      target: string;
      code: string;
      message: string;
    }
  | { type: 'target-health'; at: number; service: string; target: string; healthy: boolean; reason: string }
  | { type: 'auth-failed'; at: number; id: string; routeId: string; reason: string; caller?: string }
  | LimitChecked
  | {
      type: 'breaker-state';
      at: number;
      service: string;
      target: string;
      state: 'closed' | 'open' | 'half-open';
    }
  | { type: 'store-warning'; at: number; message: string }
  | { type: 'warning'; at: number; message: string; hint?: string; code?: string }
  | { type: 'shutdown'; at: number; reason: string }
  | { type: 'targets-snapshot'; at: number; targets: TargetSnapshot[] };

export type GatewayEventType = GatewayEvent['type'];
export type EventOf<T extends GatewayEventType> = Extract<GatewayEvent, { type: T }>;
