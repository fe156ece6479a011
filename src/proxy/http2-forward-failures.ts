import http2 from 'node:http2';
import { markOutcome } from '../pipeline/hooks.js';
import { markRetryable } from './forwarder-types.js';
import type { Phase } from './forward-clock.js';
import type { Http2Forward } from './http2-forward.js';
import { http2Error } from './http2-errors.js';
import { timeoutError } from './upstream-head.js';
import {
  classifyUpstreamError,
  connectTimeout,
  idleTimeout,
  requestBodyTimeout,
  upstreamError,
} from './upstream-errors.js';

/**
 * How an HTTP/2 forward (http2-forward.ts) ends when it goes wrong: a clock that ran out, a
 * stream that failed or closed before its answer was whole. Apart from the forward's happy path,
 * which stays readable on its own.
 */

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM } = http2.constants;

export function onForwardTimeout(forward: Http2Forward, phase: Phase): void {
  const { pool, target, timeouts, stream } = forward;
  switch (phase) {
    case 'connect':
      // A session that cannot connect serves nobody: the next request dials afresh.
      if (forward.finish('connect-failed'))
        forward.reject(markRetryable(connectTimeout(target.key, pool.name, timeouts.connectMs)));
      forward.upstream.session.destroy();
      return;
    case 'upload':
      // The client's fault, not the target's: the target's health is not charged.
      if (forward.finish('ok')) forward.reject(requestBodyTimeout(timeouts.idleMs));
      stream.close(NGHTTP2_CANCEL);
      return;
    case 'head':
      // Reported by the 'close' listener, which knows whether the client got a head yet.
      stream.close(NGHTTP2_CANCEL);
      return;
    case 'body': {
      const error = idleTimeout(target.key, pool.name, timeouts.idleMs);
      if (forward.res.headersSent) {
        // Too late for an error answer: the client's response is cut, the upstream's too.
        markOutcome(forward.ctx, 'reason', error.message);
        if (forward.finish('failed')) forward.resolve(undefined);
        forward.res.destroy();
      } else forward.fail(error);
      stream.close(NGHTTP2_CANCEL);
    }
  }
}

export function failBeforeHead(forward: Http2Forward, error: unknown): void {
  const { clock, pool, target, res, stream } = forward;
  const timeoutMs = forward.ctx.timeoutMs;
  // A session that never came up hands its streams ERR_HTTP2_STREAM_CANCEL, caused by the
  // connect error.
  const cause = (error as { cause?: unknown } | undefined)?.cause ?? error;
  const failure = clock.tripped === 'head' ? 'timeout' : classifyUpstreamError(cause);
  if (!forward.finish(failure === 'connect' ? 'connect-failed' : 'failed')) return;
  if (res.headersSent) {
    res.destroy();
    forward.resolve(undefined);
    return;
  }
  const gatewayError =
    clock.tripped === 'head'
      ? upstreamError(timeoutError(timeoutMs), target.key, pool.name, timeoutMs)
      : http2Error(cause, target.key, pool.name, timeoutMs);
  // Never reached the upstream's handler: a connect failure, or a stream refused
  // (RFC 9113 §8.7), is safe to retry elsewhere whatever the method.
  const refused = stream.rstCode === NGHTTP2_REFUSED_STREAM;
  forward.reject(failure === 'connect' || refused ? markRetryable(gatewayError) : gatewayError);
}

/** The upstream stream closed: on purpose (settled already), or before its answer was whole. */
export function onForwardClose(forward: Http2Forward): void {
  const { stream } = forward;
  if (forward.tracked) {
    forward.tracked = false;
    forward.upstream.untrack();
  }
  // Settled already (a retryable status, an answer too big, the client gone): the stream
  // was closed on purpose.
  if (forward.done || stream.readableEnded) return;
  const reset = Object.assign(new Error('stream closed'), { code: 'ECONNRESET' });
  // RST_STREAM(CANCEL) or NO_ERROR before an answer comes as a bare 'close'.
  if (!forward.responded) return failBeforeHead(forward, reset);
  // Closed mid-body: a buffered answer is a failed one; a client still waiting for streamed
  // bytes that will never come is cut.
  if (!forward.streaming)
    return forward.fail(upstreamError(reset, forward.target.key, forward.pool.name, forward.ctx.timeoutMs));
  forward.finish('failed');
  forward.res.destroy();
  forward.resolve(undefined);
}
