import http2, { type ClientHttp2Stream } from 'node:http2';
import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayError } from '../errors.js';
import { markRetryable } from './forwarder-types.js';
import { http2Error } from './http2-errors.js';
import { createHttp2Sessions, type Http2Sessions } from './http2-sessions.js';
import { classifyUpstreamError, connectTimeout, upstreamError } from './upstream-errors.js';
import type { Target } from './upstream-types.js';

const { NGHTTP2_CANCEL, NGHTTP2_FLAG_END_STREAM, NGHTTP2_REFUSED_STREAM } = http2.constants;

/**
 * A request gw makes on its own behalf over HTTP/2 with a body it built (a transcoded gRPC call,
 * protocols/grpc/transcode/), on the shared session to the target, with the service's TLS
 * settings for https:// targets (upstream-tls.ts). The caller reads the answer as it comes and
 * owns every clock but the connect one; this file is the only one beside the forward that speaks
 * node:http2 as a client (DESIGN.md: src/proxy/ owns the upstream connections).
 */
export interface Http2CallRequest {
  readonly target: Target;
  /** Path and query, after the target URL's own path. */
  readonly path: string;
  /** Request fields besides the pseudo-headers (lower-case names). */
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer;
  /** The connect clock (TCP, and TLS for https): past it the call fails, retryable. */
  readonly connectMs: number;
  /** For error messages and hints: the service's name and the caller's time budget. */
  readonly service: string;
  readonly timeoutMs: number;
}

export interface Http2CallListener {
  /** The answer's head; `ended`: its HEADERS frame ended the stream (no body, no trailers). */
  head(status: number, headers: IncomingHttpHeaders, ended: boolean): void;
  data(chunk: Buffer): void;
  trailers(trailers: IncomingHttpHeaders): void;
  /** The answer ended (after its trailers, if any). */
  end(): void;
  /**
   * The call failed before its answer ended: `connectFailed` when the target was never reached.
   * Connect failures and refused streams (RFC 9113 §8.7) are marked retryable (forwarder-types.ts).
   */
  fail(error: GatewayError, connectFailed: boolean): void;
}

export interface Http2Call {
  pause(): void;
  resume(): void;
  /** Resets the stream (RST_STREAM CANCEL) unless it is over; no listener is called after it. */
  cancel(): void;
}

let sessions: Http2Sessions | undefined;

export function startHttp2Call(request: Http2CallRequest, listener: Http2CallListener): Http2Call {
  const { target, service } = request;
  sessions ??= createHttp2Sessions();
  const upstream = sessions.open(target.url.origin, target.tls);
  const headers: http2.OutgoingHttpHeaders = {
    ...request.headers,
    ':method': 'POST',
    ':scheme': target.url.protocol === 'https:' ? 'https' : 'http',
    ':authority': target.url.host,
    ':path': target.url.pathname.replace(/\/+$/, '') + request.path,
  };
  let over = false;
  let stream: ClientHttp2Stream;
  try {
    stream = upstream.session.request(headers);
  } catch (error) {
    // The session closed between the lookup and now (GOAWAY) or ran out of stream ids: it takes
    // no more streams, and the next call dials a new one (a retry may).
    upstream.session.close();
    const failure = markRetryable(upstreamError(error, target.key, service, request.timeoutMs));
    queueMicrotask(() => over || listener.fail(failure, true));
    return { pause() {}, resume() {}, cancel: () => void (over = true) };
  }
  const fail = (error: GatewayError, connectFailed: boolean) => {
    if (over) return;
    over = true;
    clearTimeout(connectTimer);
    listener.fail(connectFailed ? markRetryable(error) : error, connectFailed);
  };
  upstream.track();
  const connectTimer = setTimeout(() => {
    fail(connectTimeout(target.key, service, request.connectMs), true);
    // A session that cannot connect serves nobody: the next call dials afresh.
    upstream.session.destroy();
  }, request.connectMs);
  upstream.whenConnected(() => clearTimeout(connectTimer));

  let responded = false;
  stream.on('response', (head, flags: number) => {
    if (over) return;
    responded = true;
    const { ':status': status, ...fields } = head;
    listener.head(Number(status ?? 502), fields, (flags & NGHTTP2_FLAG_END_STREAM) !== 0);
  });
  stream.on('data', (chunk: Buffer) => {
    if (!over) listener.data(chunk);
  });
  stream.on('trailers', (trailers) => {
    if (!over) listener.trailers(trailers);
  });
  stream.on('end', () => {
    if (over) return;
    over = true;
    clearTimeout(connectTimer);
    listener.end();
  });
  stream.on('error', (error) => {
    // A session that never came up hands its streams ERR_HTTP2_STREAM_CANCEL, caused by the
    // connect error.
    const cause = (error as { cause?: unknown }).cause ?? error;
    const connect = classifyUpstreamError(cause) === 'connect';
    fail(http2Error(cause, target.key, service, request.timeoutMs), connect);
  });
  // 'close' comes once: the stream is untracked once.
  stream.on('close', () => {
    upstream.untrack();
    if (over) return;
    const reset = Object.assign(new Error('stream closed'), { code: 'ECONNRESET' });
    // A stream the upstream refused before answering never reached its handler: safe elsewhere.
    const refused = !responded && stream.rstCode === NGHTTP2_REFUSED_STREAM;
    const error = upstreamError(reset, target.key, service, request.timeoutMs);
    fail(refused ? markRetryable(error) : error, false);
  });
  stream.end(request.body);
  return {
    pause: () => stream.pause(),
    resume: () => stream.resume(),
    cancel() {
      over = true;
      clearTimeout(connectTimer);
      if (!stream.closed) stream.close(NGHTTP2_CANCEL);
    },
  };
}
