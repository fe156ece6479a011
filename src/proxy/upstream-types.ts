import type { Agent } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { TargetTls } from './upstream-tls.js';

/** One upstream target of a service. */
export interface Target {
  /** 'http://127.0.0.1:8001' — the identity of the target, stable across reloads. */
  readonly key: string;
  readonly url: URL;
  readonly weight: number;
  readonly healthy: boolean;
  /** `unknown` until first probed or used successfully, then healthy or unhealthy. */
  readonly state: 'unknown' | 'healthy' | 'unhealthy';
  /** Requests in flight to this target now. */
  readonly inFlight: number;
  /** Why it is down, when it is. */
  readonly reason: string | undefined;
  /**
   * Keep-alive agent for this target's protocol (an https.Agent for https targets). Equals
   * `pool.agent` unless a service mixes http and https targets; the forwarder should use this one.
   */
  readonly agent: Agent;
  /** How gw speaks TLS to it (https:// targets; the agent carries the same settings). */
  readonly tls?: TargetTls | undefined;
}

/** What a balancer may look at to choose a target. */
export interface PickInput {
  readonly req: IncomingMessage;
  readonly clientIp: string;
  /** Targets to avoid (already tried by a retry). */
  readonly exclude?: ReadonlySet<string>;
}

/** The targets of one service with their balancer, health and keep-alive agent. */
export interface UpstreamPool {
  readonly name: string;
  readonly targets: readonly Target[];
  readonly timeoutMs: number;
  /** The service's `protocol`: which client forwards to it (forwarder.ts); unset means 'http1'. */
  readonly protocol?: 'http1' | 'http2' | 'grpc';
  /** The service's `hostHeader`: 'target' sends the target's host upstream; unset means 'client'. */
  readonly hostHeader?: 'client' | 'target';
  /** Keep-alive agent for this service (dual-stack for `localhost`). */
  readonly agent: Agent;
  /** A healthy target chosen by the balancer, or undefined when none is healthy. */
  pick(input: PickInput): Target | undefined;
  /** Bookkeeping the forwarder reports for least-connections and passive health checks. */
  started(target: Target): void;
  finished(target: Target, outcome: 'ok' | 'connect-failed' | 'failed'): void;
}

export interface UpstreamRegistry {
  get(service: string): UpstreamPool | undefined;
  pools(): readonly UpstreamPool[];
  /** Stops health-check timers and frees agents of services that the next build no longer has. */
  close(): void;
}
