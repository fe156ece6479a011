import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GatewayError } from '../errors.js';
import type { BufferedResponse, BufferRequest, GatewayContext } from '../pipeline/types.js';
import type { Target, UpstreamPool } from './upstream-types.js';
import type { LocationRewrite } from './rewrite-location.js';

/** What the forwarder (src/proxy/forwarder.ts, the proxy library's only user) offers the pipeline. */
export type UpstreamResponse = BufferedResponse;

/** Failures worth trying again on another target (connect errors, retryable statuses). */
const retryable = new WeakSet<GatewayError>();
export function isRetryable(error: unknown): boolean {
  return error instanceof GatewayError && retryable.has(error);
}
export function markRetryable(error: GatewayError): GatewayError {
  retryable.add(error);
  return error;
}

/** A route's own clocks besides `timeout` (which is per request: retries spend it). */
export interface ForwardTimeouts {
  /** TCP (and TLS) connect to the target. */
  readonly connectMs: number;
  /** Longest silence in either body: the client's upload, the upstream's answer. */
  readonly idleMs: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
export const defaultTimeouts: ForwardTimeouts = {
  connectMs: DEFAULT_CONNECT_TIMEOUT_MS,
  idleMs: DEFAULT_IDLE_TIMEOUT_MS,
};

export interface ForwardMode {
  /** The route's connect and idle limits (defaults: 10 s, 60 s). */
  timeouts?: ForwardTimeouts;
  /** Maps an upstream Location naming a target back to gw (the route's `rewriteLocation`). */
  location?: LocationRewrite;
  /** Buffer the answer (up to maxBytes) instead of streaming it; the caller writes it. */
  buffer?: BufferRequest;
  /** Statuses that reject with a retryable error instead of reaching the client. */
  retryStatuses?: ReadonlySet<number>;
  /** Called with the upstream status as soon as its head arrives (breakers judge answers by it). */
  onHead?: (status: number) => void;
}

export interface Forwarder {
  /**
   * Sends the request to `target`. Streaming (default): settles when the client response is done.
   * Buffering: resolves with the whole answer, nothing written. Rejects with a GatewayError when it
   * failed before any byte reached the client (`retryable` in its extensions when worth a retry).
   */
  web(
    ctx: GatewayContext,
    pool: UpstreamPool,
    target: Target,
    mode?: ForwardMode,
  ): Promise<UpstreamResponse | undefined>;
  /**
   * Proxies a WebSocket upgrade. `refuse` is called synchronously when the upstream could not be
   * reached, while the client socket can still carry an HTTP answer.
   */
  ws(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    pool: UpstreamPool,
    target: Target,
    refuse: (error: GatewayError) => void,
    options?: WsOptions,
  ): void;
  close(): void;
}

export interface WsOptions {
  /** Time the upstream has to accept the upgrade (the route's, else the service's timeout). */
  timeoutMs?: number;
  /** The upstream's answer to the handshake: 101, or the status of the HTTP answer relayed. */
  onHandshake?: (status: number) => void;
}
