import { setTimeout as sleep } from 'node:timers/promises';
import { isGatewayError, type GatewayError } from '../../../errors.js';
import { markOutcome } from '../../../pipeline/hooks.js';
import type { BuildContext, CompiledRoute, GatewayContext } from '../../../pipeline/types.js';
import { noteUpstreamError, refusal, reportTry, routeTimeouts } from '../../../pipeline/upstream-tries.js';
import { isRetryable } from '../../../proxy/forwarder-types.js';
import { pickTarget, serviceBreakers } from '../../../proxy/resilience/circuit-breaker-registry.js';
import { serviceRetries } from '../../../proxy/resilience/retries.js';
import type { UpstreamPool } from '../../../proxy/upstream-types.js';
import { httpStatusForGrpc } from './grpc-http-status.js';
import {
  callGrpcTarget,
  callMetadata,
  type GrpcCallHandle,
  type GrpcCallStatus,
  type GrpcTryFailure,
} from './grpc-upstream-call.js';

const CANCELLED = 1;
const UNAVAILABLE = 14;

export interface TranscodedCall {
  /** '/pkg.Service/Method' */
  readonly path: string;
  /** The framed request message: gw built it, so every try can send it again. */
  readonly body: Buffer;
  /** A unary call: the route's timeout is its deadline, sent upstream as grpc-timeout. */
  readonly deadline: boolean;
  readonly onMessage: (message: Buffer) => void;
  /** Whether anything of the answer reached the client (then the call is committed). */
  readonly answered: () => boolean;
  /** Before a retry: forget the messages the failed try delivered (a unary call keeps them). */
  readonly onRetry?: () => void;
}

export interface TranscodedCallRun {
  /** The status the call ended with; rejects with gw's error when no try got a status. */
  readonly done: Promise<GrpcCallStatus>;
  /** Flow control of the try under way (a client that reads a stream slowly). */
  pause(): void;
  resume(): void;
}

/**
 * Transcoded calls with the resilience of every other route to the service (issue 4): each try
 * goes to a target its circuit breaker lets through, and the breaker judges the try by the HTTP
 * status its client would get (a status mapping to 5xx, or no status at all, is a failure). A try
 * is retried on another target, within the service's `retries` (attempts, budget, backoff) and
 * what is left of the route's `timeout`, when it is safe as gRPC's own retry policy sees it
 * (https://github.com/grpc/proposal/blob/master/A6-client-retries.md): the target was never
 * reached (connect failure, refused stream), or it answered UNAVAILABLE, and in both cases
 * before any of the answer reached the client. The REST verb does not matter: the call upstream
 * is the same gRPC call whatever it was.
 */
export function createTranscodedCaller(route: CompiledRoute, pool: UpstreamPool, build: BuildContext) {
  const breakers = serviceBreakers(build, pool.name);
  const retries = serviceRetries(build, pool.name);
  const { events } = build;
  const service = build.config.services[pool.name];
  const { connectMs, idleMs } = routeTimeouts(route, service);

  return function callTranscoded(ctx: GatewayContext, call: TranscodedCall): TranscodedCallRun {
    let current: GrpcCallHandle | undefined;
    let paused = false;
    const run = async (): Promise<GrpcCallStatus> => {
      const deadline = performance.now() + ctx.timeoutMs;
      const metadata = callMetadata(ctx.upstreamHeaders);
      let retriesLeft = retries?.attempts ?? 0;
      if (retries) retries.budget.noteRequest(Date.now());
      let tried: Set<string> | undefined;
      /** What the last try ended with, answered when no further try is possible. */
      let last: { status: GrpcCallStatus } | { error: GatewayError } | undefined;
      const giveUp = (): GrpcCallStatus => {
        if (last && 'error' in last) throw last.error;
        return last!.status;
      };
      for (let attempt = 0; ; attempt++) {
        const remaining = deadline - performance.now();
        if (attempt > 0) {
          if (remaining < 1 || ctx.res.closed) return giveUp();
          markOutcome(ctx, 'retries', attempt);
        }
        ctx.timeoutMs = Math.max(1, Math.round(remaining));
        const picked = pickTarget(
          pool,
          breakers,
          { req: ctx.req, clientIp: ctx.clientIp, exclude: tried },
          events,
        );
        if (!picked || isGatewayError(picked)) {
          if (last) return giveUp();
          throw refusal(ctx, pool, picked);
        }
        const mayRetry = retriesLeft > 0 && retries!.budget.allows(Date.now());
        current = callGrpcTarget(ctx, {
          pool,
          target: picked.target,
          path: call.path,
          body: call.body,
          metadata,
          connectMs,
          idleMs,
          timeoutMs: ctx.timeoutMs,
          deadline: call.deadline,
          onMessage: call.onMessage,
        });
        if (paused) current.pause();
        let retryable: boolean;
        try {
          const status = await current.done;
          const failed = status.code !== CANCELLED && httpStatusForGrpc(status.code) >= 500;
          reportTry(picked, status.code === CANCELLED ? 'cancel' : failed ? 'failure' : 'success', events);
          if (status.code !== UNAVAILABLE) return status;
          last = { status };
          retryable = true;
        } catch (thrown) {
          const { error } = thrown as GrpcTryFailure;
          reportTry(picked, 'failure', events);
          noteUpstreamError(events, ctx, pool.name, picked.target.key, error);
          last = { error };
          retryable = isRetryable(error);
        }
        if (!mayRetry || !retryable || call.answered() || !retries!.budget.spend(Date.now())) {
          return giveUp();
        }
        retriesLeft--;
        call.onRetry?.();
        (tried ??= new Set()).add(picked.target.key);
        const wait = Math.min(retries!.delay(attempt + 1), deadline - performance.now());
        if (wait > 0) await sleep(wait);
      }
    };
    return {
      done: run(),
      pause() {
        paused = true;
        current?.pause();
      },
      resume() {
        paused = false;
        current?.resume();
      },
    };
  };
}
