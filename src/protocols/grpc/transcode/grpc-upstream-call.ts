import http2, { type ClientHttp2Stream, type IncomingHttpHeaders as Http2Headers } from 'node:http2';
import type { GatewayError } from '../../../errors.js';
import type { GatewayContext } from '../../../pipeline/types.js';
import { createHttp2Sessions, type Http2Sessions } from '../../../proxy/http2-sessions.js';
import { timeoutError } from '../../../proxy/upstream-head.js';
import {
  classifyUpstreamError,
  idleTimeout,
  noHealthyTarget,
  upstreamError,
} from '../../../proxy/upstream-errors.js';
import type { UpstreamPool } from '../../../proxy/upstream-types.js';
import { createFrameReader } from './grpc-frames.js';
import { decodeGrpcMessage } from './grpc-http-status.js';

export interface GrpcCallStatus {
  readonly code: number;
  readonly message: string;
}

export interface GrpcCall {
  readonly pool: UpstreamPool;
  /** '/pkg.Service/Method' */
  readonly path: string;
  /** The framed request message(s). */
  readonly body: Buffer;
  /** Longest silence once the answer started. */
  readonly idleMs: number;
  /** Each answer message as it arrives; false pauses the stream until resume() is called. */
  readonly onMessage: (message: Buffer) => void;
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

let sessions: Http2Sessions | undefined;

/**
 * One gRPC call to a target of the service, on gw's HTTP/2 sessions (proxy/http2-sessions.ts):
 * POST `path`, content-type application/grpc, te: trailers, the client's headers as metadata.
 * Resolves with the call's status (from the trailers, or the head of a trailers-only answer);
 * rejects with gw's upstream errors (no target, refused, reset, timeout) when the call never got
 * a status. `timeoutMs` runs until the answer's head, then the idle clock; a client that goes
 * away cancels the call (RST_STREAM CANCEL).
 */
export function callGrpc(
  ctx: GatewayContext,
  call: GrpcCall,
): { done: Promise<GrpcCallStatus>; stream?: ClientHttp2Stream } {
  const { pool } = call;
  const target = pool.pick({ req: ctx.req, clientIp: ctx.clientIp });
  if (!target) return { done: Promise.reject(noHealthyTarget(pool)) };
  sessions ??= createHttp2Sessions();
  const upstream = sessions.open(target.url.origin);
  ctx.target = target.key;
  ctx.upstreamUrl = target.key + call.path;
  const headers: http2.OutgoingHttpHeaders = {
    ':method': 'POST',
    ':scheme': target.url.protocol === 'https:' ? 'https' : 'http',
    ':authority': target.url.host,
    ':path': target.url.pathname.replace(/\/+$/, '') + call.path,
    'content-type': 'application/grpc',
    te: 'trailers',
  };
  for (const name in ctx.upstreamHeaders) {
    const value = ctx.upstreamHeaders[name];
    if (value !== undefined && !notMetadata.has(name) && !name.startsWith(':')) headers[name] = value;
  }
  pool.started(target);
  let stream: ClientHttp2Stream;
  try {
    stream = upstream.session.request(headers);
  } catch (error) {
    upstream.session.close();
    pool.finished(target, 'failed');
    return { done: Promise.reject(upstreamError(error, target.key, pool.name, ctx.timeoutMs)) };
  }
  const untrack = upstream.track();
  const sentAt = performance.now();
  const done = new Promise<GrpcCallStatus>((resolve, reject) => {
    let settled = false;
    let head: Http2Headers | undefined;
    let trailed: GrpcCallStatus | undefined;
    const settle = (
      outcome: 'ok' | 'connect-failed' | 'failed',
      result: GrpcCallStatus | GatewayError,
      cancel = outcome !== 'ok',
    ) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctx.res.off('close', onClientGone);
      pool.finished(target, outcome);
      if (outcome === 'ok') resolve(result as GrpcCallStatus);
      else reject(result);
      // A call that got its status ends by itself; any other is cut (RST_STREAM CANCEL).
      if (cancel && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
    };
    let timer = setTimeout(() => {
      const error = head
        ? idleTimeout(target.key, pool.name, call.idleMs)
        : upstreamError(timeoutError(ctx.timeoutMs), target.key, pool.name, ctx.timeoutMs);
      settle('failed', error);
    }, ctx.timeoutMs);
    const onClientGone = () => settle('ok', { code: 1, message: 'the client went away' }, true);
    ctx.res.once('close', onClientGone);
    const reader = createFrameReader(call.onMessage);
    const statusOf = (fields: Http2Headers): GrpcCallStatus => ({
      code: Number(fields['grpc-status'] ?? 2),
      message: decodeGrpcMessage(fields['grpc-message'] as string | undefined),
    });
    stream.on('response', (received) => {
      head = received;
      ctx.upstreamMs = performance.now() - sentAt;
      clearTimeout(timer);
      timer = setTimeout(
        () => settle('failed', idleTimeout(target.key, pool.name, call.idleMs)),
        call.idleMs,
      );
      const status = Number(received[':status']);
      if (received['grpc-status'] !== undefined) return settle('ok', statusOf(received));
      if (status !== 200 || !/^application\/grpc/i.test(String(received['content-type'] ?? ''))) {
        settle(
          'failed',
          upstreamError(
            Object.assign(new Error(`answered HTTP ${status}, not gRPC`), { code: 'HPE_INVALID_CONSTANT' }),
            target.key,
            pool.name,
            ctx.timeoutMs,
          ),
        );
      }
    });
    stream.on('data', (chunk: Buffer) => {
      timer.refresh();
      try {
        reader.push(chunk);
      } catch (error) {
        settle('failed', error as GatewayError);
      }
    });
    // The status is read at the end, once every message before it was read (a reader the client
    // paused still gets them all).
    stream.on('trailers', (trailers) => (trailed = statusOf(trailers)));
    stream.on('end', () => {
      if (trailed) settle('ok', trailed);
    });
    stream.on('error', (error) => {
      const cause = (error as { cause?: unknown }).cause ?? error;
      settle(
        classifyUpstreamError(cause) === 'connect' ? 'connect-failed' : 'failed',
        upstreamError(cause, target.key, pool.name, ctx.timeoutMs),
      );
    });
    stream.on('close', () => {
      untrack();
      settle(
        'failed',
        upstreamError(
          Object.assign(new Error('stream closed'), { code: 'ECONNRESET' }),
          target.key,
          pool.name,
          ctx.timeoutMs,
        ),
      );
    });
  });
  stream.end(call.body);
  return { done, stream };
}
