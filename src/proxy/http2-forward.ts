import http2, { type ClientHttp2Stream, type IncomingHttpHeaders as Http2Headers } from 'node:http2';
import type { Readable } from 'node:stream';
import { GatewayError, isGatewayError } from '../errors.js';
import type { GatewayContext } from '../pipeline/types.js';
import { markOutcome, upstreamBody } from '../pipeline/hooks.js';
import { answerTaps, startAnswerTaps } from '../pipeline/answer-tap.js';
import {
  defaultTimeouts,
  markRetryable,
  type ForwardMode,
  type UpstreamResponse,
} from './forwarder-types.js';
import { declaresBody } from './forward-headers.js';
import { ForwardClock, type Phase } from './forward-clock.js';
import { hookedHead, relayHttp2Body, writeHttp2Head } from './http2-answer.js';
import {
  endpointOf,
  http2HeadOf,
  http2Headers,
  http2RequestHeaders,
  informationOf,
  trailersFor,
} from './http2-headers.js';
import { http2Error, notGrpcAnswer } from './http2-errors.js';
import type { Http2Sessions } from './http2-sessions.js';
import { relayInformation } from './informational.js';
import { timeoutError } from './upstream-head.js';
import {
  classifyUpstreamError,
  connectTimeout,
  idleTimeout,
  requestBodyTimeout,
  upstreamError,
} from './upstream-errors.js';
import type { Target, UpstreamPool } from './upstream-types.js';

const { NGHTTP2_CANCEL, NGHTTP2_DEFAULT_WEIGHT, NGHTTP2_FLAG_END_STREAM, NGHTTP2_REFUSED_STREAM } =
  http2.constants;

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
    const { req, res } = ctx;
    const body = upstreamBody(ctx);
    const clientBody = body === undefined && declaresBody(ctx.upstreamHeaders);
    const headers = http2RequestHeaders(ctx, target, body, pool.protocol === 'grpc');
    // A gRPC call (gRPC-Web ones are translated by now) must be answered in gRPC.
    const grpcCall = pool.protocol === 'grpc' && grpcContentType.test(String(headers['content-type'] ?? ''));
    if (pool.hostHeader === 'target') headers[':authority'] = endpointOf(target).authority;
    const timeouts = mode?.timeouts ?? defaultTimeouts;
    ctx.target = target.key;
    ctx.upstreamUrl = target.key + ctx.upstreamPath + ctx.search;
    const upstream = sessions.open(endpointOf(target).origin, target.tls);

    // The forward's body runs here rather than in the promise's executor: an executor is a new
    // function per call that dies as soon as it returned, so after every full garbage collection
    // V8 dropped its optimized code and compiled this whole body again (30–170 ms of compiler
    // time each, and the calls in between ran unoptimized). forwardHttp2 itself lives on.
    let resolve!: (answer: UpstreamResponse | undefined) => void;
    let reject!: (error: unknown) => void;
    const answer = new Promise<UpstreamResponse | undefined>((settle, refuse) => {
      resolve = settle;
      reject = refuse;
    });
    try {
      let done = false;
      // onTimeout is a function declaration (hoisted): the clock takes it without a wrapper.
      const clock = new ForwardClock(ctx.timeoutMs, timeouts.idleMs, onTimeout);
      const { touch } = clock;
      let responded = false;
      /** The answer's HEADERS frame ended the stream (no body, no trailers). */
      let headEnded = false;
      /** The client's head is written: the answer streams. */
      let streaming = false;
      const finish = (outcome: 'ok' | 'connect-failed' | 'failed') => {
        if (done) return false;
        done = true;
        clock.stop();
        pool.finished(target, outcome);
        return true;
      };
      const fail = (error: GatewayError) => {
        if (finish('failed')) reject(error);
      };
      // A streamed body may end in the client's trailers; they follow it upstream (below). A gRPC
      // request has none (PROTOCOL-HTTP2.md: "Request → Request-Headers *Length-Prefixed-Message
      // EOS"): its last DATA frame ends the stream, with no wait for trailers and no empty frame.
      const withTrailers = (clientBody || (body !== undefined && !Buffer.isBuffer(body))) && !grpcCall;
      let stream: ClientHttp2Stream;
      try {
        const endStream = body === undefined && !clientBody;
        stream = upstream.session.request(headers, requestOptions[+endStream]![+withTrailers]);
      } catch (error) {
        // The session closed between the lookup and now (GOAWAY), or ran out of stream ids
        // (2^31): it takes no more streams, and the next try dials a new one.
        upstream.session.close();
        pool.started(target);
        fail(markRetryable(upstreamError(error, target.key, pool.name, ctx.timeoutMs)));
        return answer;
      }
      pool.started(target);
      const untrack = upstream.track();
      const sentAt = performance.now();

      function onTimeout(phase: Phase) {
        switch (phase) {
          case 'connect':
            // A session that cannot connect serves nobody: the next request dials afresh.
            if (finish('connect-failed'))
              reject(markRetryable(connectTimeout(target.key, pool.name, timeouts.connectMs)));
            upstream.session.destroy();
            return;
          case 'upload':
            // The client's fault, not the target's: the target's health is not charged.
            if (finish('ok')) reject(requestBodyTimeout(timeouts.idleMs));
            stream.close(NGHTTP2_CANCEL);
            return;
          case 'head':
            // Reported by the 'close' listener, which knows whether the client got a head yet.
            stream.close(NGHTTP2_CANCEL);
            return;
          case 'body': {
            const error = idleTimeout(target.key, pool.name, timeouts.idleMs);
            if (res.headersSent) {
              // Too late for an error answer: the client's response is cut, the upstream's too.
              markOutcome(ctx, 'reason', error.message);
              finish('failed');
              res.destroy();
            } else fail(error);
            stream.close(NGHTTP2_CANCEL);
          }
        }
      }
      const hasBody = body !== undefined || clientBody;
      const requestSent = () => {
        if (clock.phase === 'connect' || clock.phase === 'upload') clock.arm('head', ctx.timeoutMs);
      };
      if (upstream.connected) {
        if (hasBody) clock.arm('upload', timeouts.idleMs);
        else requestSent();
      } else {
        clock.arm('connect', timeouts.connectMs);
        upstream.whenConnected(() => {
          if (clock.phase !== 'connect' || done) return;
          if (hasBody) clock.arm('upload', timeouts.idleMs);
          else requestSent();
        });
      }
      // The whole request is on the wire: from here the upstream has `timeout` to answer.
      // on() where once() would do: a stream emits 'finish', 'end' and 'trailers' once, and once()
      // wraps its listener in two allocations more on every call.
      if (hasBody) stream.on('finish', requestSent);

      const failBeforeHead = (error: unknown) => {
        // A session that never came up hands its streams ERR_HTTP2_STREAM_CANCEL, caused by the
        // connect error.
        const cause = (error as { cause?: unknown } | undefined)?.cause ?? error;
        const failure = clock.tripped === 'head' ? 'timeout' : classifyUpstreamError(cause);
        if (!finish(failure === 'connect' ? 'connect-failed' : 'failed')) return;
        if (res.headersSent) {
          res.destroy();
          resolve(undefined);
          return;
        }
        const gatewayError =
          clock.tripped === 'head'
            ? upstreamError(timeoutError(ctx.timeoutMs), target.key, pool.name, ctx.timeoutMs)
            : http2Error(cause, target.key, pool.name, ctx.timeoutMs);
        // Never reached the upstream's handler: a connect failure, or a stream refused
        // (RFC 9113 §8.7), is safe to retry elsewhere whatever the method.
        const refused = stream.rstCode === NGHTTP2_REFUSED_STREAM;
        reject(failure === 'connect' || refused ? markRetryable(gatewayError) : gatewayError);
      };

      stream.on('error', (error: Error) => {
        if (isGatewayError(error)) {
          if (finish('ok')) reject(error);
          return;
        }
        failBeforeHead(error);
      });
      stream.on('close', () => {
        untrack();
        // Settled already (a retryable status, an answer too big, the client gone): the stream
        // was closed on purpose.
        if (done || stream.readableEnded) return;
        const reset = Object.assign(new Error('stream closed'), { code: 'ECONNRESET' });
        // RST_STREAM(CANCEL) or NO_ERROR before an answer comes as a bare 'close'.
        if (!responded) return failBeforeHead(reset);
        // Closed mid-body: a buffered answer is a failed one; a client still waiting for streamed
        // bytes that will never come is cut.
        if (!streaming) return fail(upstreamError(reset, target.key, pool.name, ctx.timeoutMs));
        finish('failed');
        res.destroy();
        resolve(undefined);
      });

      res.on('close', () => {
        // The client went away, or its answer ended before the upstream's did (a gRPC call's
        // deadline answered by gw): an unfinished upstream stream is reset.
        if (!stream.closed && !(res.writableFinished && stream.readableEnded)) stream.close(NGHTTP2_CANCEL);
        if (finish(res.writableFinished ? 'ok' : 'failed')) resolve(undefined);
      });

      // Interim answers (103 Early Hints, 102) go on to the client as they come (RFC 9110 §15.2),
      // as on HTTP/1.1 (informational.ts).
      stream.on('headers', (informational: Http2Headers) =>
        relayInformation(req, res, informationOf(informational)),
      );

      stream.on('response', (received: Http2Headers, flags: number) => {
        responded = true;
        headEnded = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
        clock.arm('body', timeouts.idleMs);
        ctx.upstreamMs = performance.now() - sentAt;
        const status = Number(received[':status'] ?? 502);
        mode?.onHead?.(status);
        if (mode?.retryStatuses?.has(status)) {
          stream.close(NGHTTP2_CANCEL);
          return fail(
            markRetryable(
              new GatewayError('GW_UPSTREAM_FAILED', `${pool.name} (${target.key}) answered ${status}`, {
                status,
                extensions: { upstreamStatus: status },
              }),
            ),
          );
        }
        if (grpcCall && !isGrpcAnswer(received)) {
          // Relayed, a 404 page or a proxy's 502 would leave the client to guess; it gets a
          // gRPC status instead (the refusal renderers map this error's upstream status).
          stream.close(NGHTTP2_CANCEL);
          return fail(notGrpcAnswer(target.key, pool.name, status, received['content-type']));
        }
        const buffer = mode?.buffer;
        if (buffer && (buffer.when?.(status, http2HeadOf(received)) ?? true)) {
          return collect(status, received, buffer.maxBytes, buffer.streamOverflow === true);
        }
        streamAnswer(status, received, []);
      });

      const streamAnswer = (status: number, received: Http2Headers, already: Buffer[]) => {
        streaming = true;
        // A gRPC answer whose HEADERS ended the stream is trailers-only (its grpc-status is in
        // the head): it goes on the same way, head and end together, or gRPC clients miss it.
        const trailersOnly = pool.protocol === 'grpc' && headEnded && already.length === 0;
        const framing = writeHttp2Head(ctx, status, received, mode?.location, trailersOnly);
        if (framing === 'none' || trailersOnly) {
          // A 204/304 has no body, whatever follows its head.
          res.end();
          stream.resume();
          return;
        }
        for (const chunk of already) res.write(chunk);
        const taps = answerTaps(ctx);
        if (taps) startAnswerTaps(taps, res.statusCode, http2HeadOf(received), already, stream);
        relayHttp2Body(stream, res, touch);
      };

      const collect = (status: number, received: Http2Headers, maxBytes: number, streamOverflow: boolean) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const onData = (chunk: Buffer) => {
          touch();
          size += chunk.length;
          if (size > maxBytes && streamOverflow) {
            // Too big to keep: send what came so far and stream the rest; res 'close' settles.
            stream.off('data', onData).off('end', onEnd);
            chunks.push(chunk);
            streamAnswer(status, http2Headers(http2HeadOf(received), status), chunks);
            return;
          }
          if (size > maxBytes) {
            fail(
              new GatewayError(
                'GW_UPSTREAM_BAD_RESPONSE',
                `${pool.name} answered with more than ${maxBytes} bytes, too large to buffer`,
              ),
            );
            stream.close(NGHTTP2_CANCEL);
            return;
          }
          chunks.push(chunk);
        };
        const onEnd = () => {
          if (!finish('ok')) return;
          const head = hookedHead(ctx, status, http2HeadOf(received, 'plain', mode?.location, req));
          resolve({ status: head.status, headers: head.headers, body: Buffer.concat(chunks, size) });
        };
        stream.on('data', onData);
        stream.once('end', onEnd);
      };

      if (Buffer.isBuffer(body)) {
        stream.end(body);
      } else if (body !== undefined) {
        body.once('error', (error: Error) => stream.destroy(error));
        upload(body);
      } else if (clientBody) {
        // A client that breaks off its body mid-way: the upstream stream goes with it.
        req.on('error', () => stream.close(NGHTTP2_CANCEL));
        upload(req);
      }

      /**
       * Streams a body upstream (the upstream's flow control pauses the source); each chunk
       * restarts the upload's idle clock. The client's trailers (a chunked body's last fields)
       * follow it, also when a policy's stream (bodyLimit's counter) carried the body. Three
       * listeners rather than pipe(), which adds seven and removes them again on every call.
       */
      function upload(source: Readable) {
        if (withTrailers) stream.once('wantTrailers', () => stream.sendTrailers(trailersFor(req.trailers)));
        const resume = () => source.resume();
        source.on('data', (chunk: Buffer) => {
          // A call that keeps sending is not idle, also once the answer started (a gRPC client
          // stream whose server sent its head first and answers at the end).
          if (clock.phase === 'upload' || clock.phase === 'body') touch();
          // A stream reset or closed takes no more; the rest of the body is read and dropped.
          if (stream.destroyed || stream.writableEnded) return;
          if (!stream.write(chunk)) {
            source.pause();
            stream.once('drain', resume);
          }
        });
        source.on('end', () => {
          if (!stream.destroyed) stream.end();
        });
      }
    } catch (error) {
      // As from an executor: a throw rejects the answer.
      reject(error);
    }
    return answer;
  };
}
