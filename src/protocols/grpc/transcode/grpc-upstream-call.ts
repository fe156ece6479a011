import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../../../errors.js';
import type { GatewayContext } from '../../../pipeline/types.js';
import { startHttp2Call } from '../../../proxy/http2-call.js';
import { notGrpcAnswer } from '../../../proxy/http2-errors.js';
import { timeoutError } from '../../../proxy/upstream-head.js';
import { idleTimeout, upstreamError } from '../../../proxy/upstream-errors.js';
import type { Target, UpstreamPool } from '../../../proxy/upstream-types.js';
import { formatGrpcTimeout } from '../grpc-timeout.js';
import { createFrameReader } from './grpc-frames.js';
import { decodeGrpcMessage } from './grpc-http-status.js';

export interface GrpcCallStatus {
  readonly code: number;
  readonly message: string;
}

/** One try of a transcoded call, on one target (grpc-resilient-call.ts picks it). */
export interface GrpcCallTry {
  readonly pool: UpstreamPool;
  readonly target: Target;
  /** '/pkg.Service/Method' */
  readonly path: string;
  /** The framed request message(s). */
  readonly body: Buffer;
  /** The client's headers that go along as metadata (callMetadata). */
  readonly metadata: Readonly<Record<string, string | string[]>>;
  readonly connectMs: number;
  /** Longest silence once the answer started. */
  readonly idleMs: number;
  /**
   * What is left of the route's `timeout`. With `deadline` it bounds the whole call and goes
   * upstream as grpc-timeout (a unary call); without, it bounds the wait for the answer's head
   * and `idleMs` the silences after it (a server stream, as on HTTP routes).
   */
  readonly timeoutMs: number;
  readonly deadline: boolean;
  /** Each answer message as it arrives. */
  readonly onMessage: (message: Buffer) => void;
}

/** How a try ended without a status: the error, and whether the target was never reached. */
export interface GrpcTryFailure {
  readonly error: GatewayError;
  readonly connectFailed: boolean;
}

export interface GrpcCallHandle {
  /** The call's status (from the trailers, or a trailers-only head); rejects with a GrpcTryFailure. */
  readonly done: Promise<GrpcCallStatus>;
  pause(): void;
  resume(): void;
}

/** Request headers that describe the client's HTTP request, not the call: never metadata. */
const notMetadata = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'content-type',
  'content-length',
  'content-encoding',
  'accept',
  'accept-encoding',
  'expect',
  'http2-settings',
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
]);

/** The client's headers as the call's metadata (built once per call, sent on every try). */
export function callMetadata(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const metadata: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !notMetadata.has(name) && !name.startsWith(':')) metadata[name] = value;
  }
  return metadata;
}

const grpcType = /^application\/grpc(?:[+;\s]|$)/i;

/**
 * One gRPC call to `target` over gw's HTTP/2 client (proxy/http2-call.ts): POST, content-type
 * application/grpc, te: trailers, the metadata, and grpc-timeout when the call has a deadline
 * (PROTOCOL-HTTP2.md), so the server gives up when gw does. Resolves with the call's status;
 * rejects when the call got none (no connection, reset, timeout, an answer that is not gRPC). A
 * client that goes away cancels the call (RST_STREAM CANCEL) and resolves CANCELLED.
 */
export function callGrpcTarget(ctx: GatewayContext, call: GrpcCallTry): GrpcCallHandle {
  const { pool, target } = call;
  const service = pool.name;
  ctx.target = target.key;
  ctx.upstreamUrl = target.key + call.path;
  const headers: Record<string, string | string[]> = {
    ...call.metadata,
    'content-type': 'application/grpc',
    te: 'trailers',
  };
  if (call.deadline) headers['grpc-timeout'] = formatGrpcTimeout(call.timeoutMs);
  pool.started(target);
  const sentAt = performance.now();
  let resolveDone!: (status: GrpcCallStatus) => void;
  let rejectDone!: (failure: GrpcTryFailure) => void;
  const done = new Promise<GrpcCallStatus>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  let settled = false;
  let trailed: GrpcCallStatus | undefined;
  const reader = createFrameReader(call.onMessage);
  const statusOf = (fields: IncomingHttpHeaders): GrpcCallStatus => ({
    code: Number(fields['grpc-status'] ?? 2),
    message: decodeGrpcMessage(fields['grpc-message'] as string | undefined),
  });
  const settle = (outcome: 'ok' | 'connect-failed' | 'failed', result: GrpcCallStatus | GatewayError) => {
    if (settled) return;
    settled = true;
    clearTimeout(clock);
    clearTimeout(idle);
    ctx.res.off('close', onClientGone);
    pool.finished(target, outcome);
    if (result instanceof GatewayError) {
      rejectDone({ error: result, connectFailed: outcome === 'connect-failed' });
    } else resolveDone(result);
  };

  const upstream = startHttp2Call(
    {
      target,
      path: call.path,
      headers,
      body: call.body,
      connectMs: call.connectMs,
      service,
      timeoutMs: call.timeoutMs,
    },
    {
      head(status, head, ended) {
        ctx.upstreamMs = performance.now() - sentAt;
        // Without a deadline, `timeout` ran until the head; the idle clock runs from here.
        if (!call.deadline) clearTimeout(clock);
        idle = setTimeout(() => fail(idleTimeout(target.key, service, call.idleMs)), call.idleMs);
        // A trailers-only answer: its status is in the head, and the stream is over.
        if (head['grpc-status'] !== undefined) return settle('ok', statusOf(head));
        if (!grpcType.test(String(head['content-type'] ?? ''))) {
          fail(notGrpcAnswer(target.key, service, status, head['content-type']));
        } else if (ended) fail(missingStatus(target.key, service));
      },
      data(chunk) {
        idle?.refresh();
        try {
          reader.push(chunk);
        } catch (error) {
          fail(error as GatewayError);
        }
      },
      trailers: (trailers) => (trailed = statusOf(trailers)),
      // The status is read at the end, once every message before it was read.
      end: () => (trailed ? settle('ok', trailed) : fail(missingStatus(target.key, service))),
      fail: (error, connectFailed) => settle(connectFailed ? 'connect-failed' : 'failed', error),
    },
  );
  const fail = (error: GatewayError) => {
    if (settled) return;
    settle('failed', error);
    upstream.cancel();
  };
  let idle: NodeJS.Timeout | undefined;
  const clock = setTimeout(() => {
    const error = call.deadline
      ? new GatewayError(
          'GW_UPSTREAM_TIMEOUT',
          `${service} did not finish the call within the route's timeout of ${call.timeoutMs} ms`,
          { extensions: { grpcStatus: 4, grpcCode: 'DEADLINE_EXCEEDED' } },
        )
      : upstreamError(timeoutError(call.timeoutMs), target.key, service, call.timeoutMs);
    fail(error);
  }, call.timeoutMs);
  const onClientGone = () => {
    if (settled) return;
    settle('ok', { code: 1, message: 'the client went away' });
    upstream.cancel();
  };
  ctx.res.once('close', onClientGone);
  return { done, pause: () => upstream.pause(), resume: () => upstream.resume() };
}

function missingStatus(target: string, service: string): GatewayError {
  return new GatewayError(
    'GW_UPSTREAM_BAD_RESPONSE',
    `${service} (${target.replace(/^https?:\/\//, '')}) ended a gRPC call without a grpc-status`,
  );
}
