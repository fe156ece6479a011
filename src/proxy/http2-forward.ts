import http2, { type IncomingHttpHeaders as Http2Headers } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { GatewayError, isGatewayError } from '../errors.js';
import type { GatewayContext } from '../pipeline/types.js';
import { upstreamBody } from '../pipeline/hooks.js';
import { answerTaps, startAnswerTaps } from '../pipeline/answer-tap.js';
import {
  defaultTimeouts,
  markRetryable,
  type ForwardMode,
  type ForwardTimeouts,
  type UpstreamResponse,
} from './forwarder-types.js';
import { declaresBody } from './forward-headers.js';
import { ForwardClock, type Phase } from './forward-clock.js';
import { RELAY, relayHttp2Body, writeHttp2Head, type Relay, type RelayedStream } from './http2-answer.js';
import { endpointOf, http2HeadOf, http2RequestHeaders, informationOf } from './http2-headers.js';
import { notGrpcAnswer } from './http2-errors.js';
import type { Http2Session, Http2Sessions } from './http2-sessions.js';
import { uploadBody, type Uploader } from './http2-upload.js';
import { failBeforeHead, onForwardClose, onForwardTimeout } from './http2-forward-failures.js';
import { collectAnswer } from './http2-answer-buffer.js';
import { relayInformation } from './informational.js';
import { upstreamError } from './upstream-errors.js';
import type { Target, UpstreamPool } from './upstream-types.js';

const { NGHTTP2_CANCEL, NGHTTP2_DEFAULT_WEIGHT, NGHTTP2_FLAG_END_STREAM } = http2.constants;

/**
 * session.request()'s options, one object per combination, with the priority fields it would
 * otherwise add to its copy of them on every call (weight, parent, exclusive, silent: their
 * defaults), so the copy keeps one shape.
 */
const requestOptions = [false, true].map((endStream) =>
  [false, true].map((waitForTrailers) =>
    Object.freeze({
      endStream,
      waitForTrailers,
      weight: NGHTTP2_DEFAULT_WEIGHT,
      parent: 0,
      exclusive: false,
      silent: false,
    }),
  ),
);

const grpcContentType = /^application\/grpc(?:[+;\s]|$)/i;

/** A gRPC answer: a status in its head (trailers-only), or the gRPC content-type. */
function isGrpcAnswer(received: Http2Headers): boolean {
  return (
    received['grpc-status'] !== undefined || grpcContentType.test(String(received['content-type'] ?? ''))
  );
}

/**
 * The forward an upstream stream belongs to. The listeners below are module functions that find
 * their forward there through `this` (an emitter calls its listeners with itself as `this`),
 * instead of a dozen closures made for every call. A stream's forward is its answer's relay too
 * (http2-answer.ts), under the same key.
 */
interface ForwardedStream extends RelayedStream {
  [RELAY]?: Http2Forward;
}

/**
 * One forward to an HTTP/2 upstream (a service with `protocol: 'http2'` or `'grpc'`), on the
 * target's shared session (http2-sessions.ts). The same contract as forwardHttp: streaming or
 * buffering by `mode`, failures before the client's head as GatewayErrors (connect failures and
 * refused streams retryable), the same four clocks (`connectTimeout` while the session connects,
 * `idleTimeout` in either body, `timeout` from the end of the request to the head), a client that
 * goes away cancels the upstream stream (RST_STREAM), backpressure both ways, 1xx relayed, and
 * the trailers both ways (gRPC's status reaches an HTTP/1.1 client as chunked trailers).
 *
 * node:http2 rather than undici's H2CClient: undici 7 drops HTTP/2 response trailers behind its
 * handler API and cuts the end of a body its reader paused when the trailers arrive, both fatal
 * for gRPC (scripts/bench/undici-fidelity.mjs).
 */
export function createHttp2Forward(sessions: Http2Sessions) {
  return function forwardHttp2(
    ctx: GatewayContext,
    pool: UpstreamPool,
    target: Target,
    mode: ForwardMode | undefined,
  ): Promise<UpstreamResponse | undefined> {
    const body = upstreamBody(ctx);
    const clientBody = body === undefined && declaresBody(ctx.upstreamHeaders);
    const headers = http2RequestHeaders(ctx, target, body, pool.protocol === 'grpc');
    // A gRPC call (gRPC-Web ones are translated by now) must be answered in gRPC.
    const grpcCall = pool.protocol === 'grpc' && grpcContentType.test(String(headers['content-type'] ?? ''));
    if (pool.hostHeader === 'target') headers[':authority'] = endpointOf(target).authority;
    ctx.target = target.key;
    ctx.upstreamUrl = target.key + ctx.upstreamPath + ctx.search;
    const upstream = sessions.open(endpointOf(target).origin, target.tls);
    const forward = new Http2Forward(ctx, pool, target, mode, upstream, body, clientBody, grpcCall);
    // The forward's body runs in start(), a method, rather than in the promise's executor: an
    // executor is a new function per call that dies as soon as it returned, so after every full
    // garbage collection V8 dropped its optimized code and compiled the whole body again (30–170
    // ms of compiler time each, and the calls in between ran unoptimized).
    try {
      forward.start(headers);
    } catch (error) {
      // As from an executor: a throw rejects the answer.
      forward.reject(error);
    }
    return forward.answer;
  };
}

/** One call's state, its steps as methods (one object a call rather than a closure per step). */
export class Http2Forward implements Relay, Uploader {
  readonly answer: Promise<UpstreamResponse | undefined>;
  resolve!: (answer: UpstreamResponse | undefined) => void;
  reject!: (error: unknown) => void;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly timeouts: ForwardTimeouts;
  readonly clock: ForwardClock;
  readonly hasBody: boolean;
  /** The client's trailers follow a streamed body (not on a gRPC call: see start()). */
  readonly withTrailers: boolean;
  stream!: ForwardedStream;
  /** The upstream's trailers, kept until its body ended (relayHttp2Body). */
  trailers: Http2Headers | undefined = undefined;
  relayed = 0;
  sentAt = 0;
  done = false;
  responded = false;
  /** The answer's HEADERS frame ended the stream (no body, no trailers). */
  headEnded = false;
  /** The client's head is written: the answer streams. */
  streaming = false;
  tracked = false;

  constructor(
    readonly ctx: GatewayContext,
    readonly pool: UpstreamPool,
    readonly target: Target,
    readonly mode: ForwardMode | undefined,
    readonly upstream: Http2Session,
    readonly body: Buffer | Readable | undefined,
    readonly clientBody: boolean,
    readonly grpcCall: boolean,
  ) {
    this.answer = new Promise<UpstreamResponse | undefined>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.req = ctx.req;
    this.res = ctx.res;
    this.timeouts = mode?.timeouts ?? defaultTimeouts;
    this.clock = new ForwardClock(ctx.timeoutMs, this.timeouts.idleMs, (phase) => this.onTimeout(phase));
    this.hasBody = body !== undefined || clientBody;
    // A streamed body may end in the client's trailers; they follow it upstream (http2-upload.ts). A gRPC
    // request has none (PROTOCOL-HTTP2.md: "Request → Request-Headers *Length-Prefixed-Message
    // EOS"): its last DATA frame ends the stream, with no wait for trailers and no empty frame.
    this.withTrailers = (clientBody || (body !== undefined && !Buffer.isBuffer(body))) && !grpcCall;
  }

  start(headers: http2.OutgoingHttpHeaders): void {
    const { pool, target, upstream, clock, timeouts } = this;
    let stream: ForwardedStream;
    try {
      const endStream = !this.hasBody;
      stream = upstream.session.request(headers, requestOptions[+endStream]![+this.withTrailers]);
    } catch (error) {
      // The session closed between the lookup and now (GOAWAY), or ran out of stream ids
      // (2^31): it takes no more streams, and the next try dials a new one.
      upstream.session.close();
      pool.started(target);
      this.fail(markRetryable(upstreamError(error, target.key, pool.name, this.ctx.timeoutMs)));
      return;
    }
    this.stream = stream;
    stream[RELAY] = this;
    pool.started(target);
    upstream.track();
    this.tracked = true;
    this.sentAt = performance.now();

    if (upstream.connected) {
      if (this.hasBody) clock.arm('upload', timeouts.idleMs);
      else this.requestSent();
    } else {
      clock.arm('connect', timeouts.connectMs);
      upstream.whenConnected(() => {
        if (clock.phase !== 'connect' || this.done) return;
        if (this.hasBody) clock.arm('upload', timeouts.idleMs);
        else this.requestSent();
      });
    }
    // The whole request is on the wire: from here the upstream has `timeout` to answer.
    // on() where once() would do: a stream emits 'finish', 'end' and 'trailers' once, and once()
    // wraps its listener in two allocations more on every call.
    if (this.hasBody) stream.on('finish', onRequestSent);
    stream.on('error', onStreamError);
    stream.on('close', onStreamClose);
    this.res.on('close', () => this.onClientClose());
    // Interim answers (103 Early Hints, 102) go on to the client as they come (RFC 9110 §15.2),
    // as on HTTP/1.1 (informational.ts).
    stream.on('headers', onInformation);
    stream.on('response', onResponse);

    const body = this.body;
    if (Buffer.isBuffer(body)) {
      stream.end(body);
    } else if (body !== undefined) {
      uploadBody(this, body, false);
    } else if (this.clientBody) {
      // A client that breaks off its body mid-way: the upstream stream goes with it.
      uploadBody(this, this.req, true);
    }
  }

  finish(outcome: 'ok' | 'connect-failed' | 'failed'): boolean {
    if (this.done) return false;
    this.done = true;
    this.clock.stop();
    this.pool.finished(this.target, outcome);
    return true;
  }

  fail(error: GatewayError): void {
    if (this.finish('failed')) this.reject(error);
  }

  requestSent(): void {
    const { clock } = this;
    if (clock.phase === 'connect' || clock.phase === 'upload') clock.arm('head', this.ctx.timeoutMs);
  }

  onTimeout(phase: Phase): void {
    onForwardTimeout(this, phase);
  }

  failBeforeHead(error: unknown): void {
    failBeforeHead(this, error);
  }

  onError(error: Error): void {
    if (isGatewayError(error)) {
      if (this.finish('ok')) this.reject(error);
      return;
    }
    this.failBeforeHead(error);
  }

  onClose(): void {
    onForwardClose(this);
  }

  onClientClose(): void {
    const { res, stream } = this;
    // The client went away, or its answer ended before the upstream's did (a gRPC call's
    // deadline answered by gw): an unfinished upstream stream is reset.
    if (!stream.closed && !(res.writableFinished && stream.readableEnded)) stream.close(NGHTTP2_CANCEL);
    if (this.finish(res.writableFinished ? 'ok' : 'failed')) this.resolve(undefined);
  }

  onResponse(received: Http2Headers, flags: number): void {
    const { mode, pool, target, stream } = this;
    this.responded = true;
    this.headEnded = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
    this.clock.arm('body', this.timeouts.idleMs);
    this.ctx.upstreamMs = performance.now() - this.sentAt;
    const status = Number(received[':status'] ?? 502);
    mode?.onHead?.(status);
    if (mode?.retryStatuses?.has(status)) {
      stream.close(NGHTTP2_CANCEL);
      return this.fail(
        markRetryable(
          new GatewayError('GW_UPSTREAM_FAILED', `${pool.name} (${target.key}) answered ${status}`, {
            status,
            extensions: { upstreamStatus: status },
          }),
        ),
      );
    }
    if (this.grpcCall && !isGrpcAnswer(received)) {
      // Relayed, a 404 page or a proxy's 502 would leave the client to guess; it gets a
      // gRPC status instead (the refusal renderers map this error's upstream status).
      stream.close(NGHTTP2_CANCEL);
      return this.fail(notGrpcAnswer(target.key, pool.name, status, received['content-type']));
    }
    const buffer = mode?.buffer;
    if (buffer && (buffer.when?.(status, http2HeadOf(received)) ?? true)) {
      return this.collect(status, received, buffer.maxBytes, buffer.streamOverflow === true);
    }
    this.streamAnswer(status, received, []);
  }

  streamAnswer(status: number, received: Http2Headers, already: Buffer[]): void {
    const { ctx, res, stream } = this;
    this.streaming = true;
    // A gRPC answer whose HEADERS ended the stream is trailers-only (its grpc-status is in
    // the head): it goes on the same way, head and end together, or gRPC clients miss it.
    const trailersOnly = this.pool.protocol === 'grpc' && this.headEnded && already.length === 0;
    const framing = writeHttp2Head(ctx, status, received, this.mode?.location, trailersOnly);
    if (framing === 'none' || trailersOnly) {
      // A 204/304 has no body, whatever follows its head.
      res.end();
      stream.resume();
      return;
    }
    for (const chunk of already) res.write(chunk);
    const taps = answerTaps(ctx);
    if (taps) startAnswerTaps(taps, res.statusCode, http2HeadOf(received), already, stream);
    relayHttp2Body(stream, this);
  }

  /** relayHttp2Body's idle clock: a chunk or a drain of the answer. */
  touch(): void {
    this.clock.touch();
  }

  collect(status: number, received: Http2Headers, maxBytes: number, streamOverflow: boolean): void {
    collectAnswer(this, status, received, maxBytes, streamOverflow);
  }
}

// The listeners: `this` is the stream, its forward hangs on it (RELAY).

function onRequestSent(this: ForwardedStream): void {
  this[RELAY]!.requestSent();
}

function onStreamError(this: ForwardedStream, error: Error): void {
  this[RELAY]!.onError(error);
}

function onStreamClose(this: ForwardedStream): void {
  this[RELAY]!.onClose();
}

function onInformation(this: ForwardedStream, informational: Http2Headers): void {
  const { req, res } = this[RELAY]!;
  relayInformation(req, res, informationOf(informational));
}

function onResponse(this: ForwardedStream, received: Http2Headers, flags: number): void {
  this[RELAY]!.onResponse(received, flags);
}
