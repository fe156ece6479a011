import http2, { type ClientHttp2Stream, type IncomingHttpHeaders as Http2Headers } from 'node:http2';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { GatewayError, isGatewayError } from '../errors.js';
import type { GatewayContext } from '../pipeline/types.js';
import { markRetryable, type ForwardMode, type UpstreamResponse } from './forwarder-types.js';
import { declaresBody } from './forward-headers.js';
import {
  http2HeadOf,
  http2Headers,
  http2RequestHeaders,
  informationOf,
  responseHeadList,
  trailersFor,
} from './http2-headers.js';
import type { Http2Sessions } from './http2-sessions.js';
import { relayInformation } from './informational.js';
import { timeoutError } from './upstream-head.js';
import { classifyUpstreamError, upstreamError } from './upstream-errors.js';
import type { Target, UpstreamPool } from './upstream-types.js';

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM } = http2.constants;

/**
 * One forward to an HTTP/2 upstream (a service with `protocol: 'http2'` or `'grpc'`), on the
 * target's shared session (http2-sessions.ts). The same contract as forwardHttp: streaming or
 * buffering by `mode`, failures before the client's head as GatewayErrors (connect failures and
 * refused streams retryable), a client that goes away cancels the upstream stream (RST_STREAM),
 * backpressure both ways, and the upstream's trailers (gRPC's status) reach an HTTP/1.1 client
 * as chunked trailers.
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
    const body = ctx.requestBody;
    const clientBody = body === undefined && declaresBody(ctx.upstreamHeaders);
    const headers = http2RequestHeaders(ctx, target, body, pool.protocol === 'grpc');
    ctx.target = target.key;
    ctx.upstreamUrl = target.key + ctx.upstreamPath + ctx.search;
    const { session, track } = sessions.open(target.url.origin);

    return new Promise<UpstreamResponse | undefined>((resolve, reject) => {
      let done = false;
      let timedOut = false;
      let responded = false;
      /** The client's head is written: the answer streams. */
      let streaming = false;
      const finish = (outcome: 'ok' | 'connect-failed' | 'failed') => {
        if (done) return false;
        done = true;
        clearTimeout(timer);
        pool.finished(target, outcome);
        return true;
      };
      const fail = (error: GatewayError) => {
        if (finish('failed')) reject(error);
      };

      let stream: ClientHttp2Stream;
      try {
        stream = session.request(headers, {
          endStream: body === undefined && !clientBody,
          // A client's chunked body may end in trailers; they follow it upstream (below).
          waitForTrailers: clientBody,
        });
      } catch (error) {
        // The session closed between the lookup and now (GOAWAY): another try gets a new one.
        pool.started(target);
        fail(markRetryable(upstreamError(error, target.key, pool.name, ctx.timeoutMs)));
        return;
      }
      pool.started(target);
      const untrack = track();
      const sentAt = performance.now();
      const timer = setTimeout(() => {
        timedOut = true;
        stream.close(NGHTTP2_CANCEL);
      }, ctx.timeoutMs);

      const failBeforeHead = (error: unknown) => {
        // A session that never came up hands its streams ERR_HTTP2_STREAM_CANCEL, caused by the
        // connect error.
        const cause = (error as { cause?: unknown } | undefined)?.cause ?? error;
        const failure = timedOut ? 'timeout' : classifyUpstreamError(cause);
        if (!finish(failure === 'connect' ? 'connect-failed' : 'failed')) return;
        if (res.headersSent) {
          res.destroy();
          resolve(undefined);
          return;
        }
        const gatewayError = timedOut
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
        // The client went away (or the answer is done): an unfinished upstream stream is reset.
        if (!res.writableFinished && !stream.closed) stream.close(NGHTTP2_CANCEL);
        if (finish(res.writableFinished ? 'ok' : 'failed')) resolve(undefined);
      });

      // Interim answers (103 Early Hints, 102) go on to the client as they come (RFC 9110 §15.2),
      // as on HTTP/1.1 (informational.ts).
      stream.on('headers', (informational: Http2Headers) =>
        relayInformation(req, res, informationOf(informational)),
      );

      stream.on('response', (upstreamHeaders: Http2Headers) => {
        responded = true;
        clearTimeout(timer);
        ctx.upstreamMs = performance.now() - sentAt;
        const status = Number(upstreamHeaders[':status'] ?? 502);
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
        const buffer = mode?.buffer;
        const head = http2HeadOf(upstreamHeaders);
        if (buffer && (buffer.when?.(status, head) ?? true)) {
          return collect(status, head, buffer.maxBytes, buffer.streamOverflow === true);
        }
        streamAnswer(status, upstreamHeaders, []);
      });

      let trailers: Http2Headers | undefined;
      stream.once('trailers', (received: Http2Headers) => (trailers = received));

      const streamAnswer = (status: number, upstreamHeaders: Http2Headers, already: Buffer[]) => {
        streaming = true;
        if (ctx.responseHooks.length === 0) {
          const list = responseHeadList(upstreamHeaders, ctx.responseHeaders);
          ctx.sentHeaders = list;
          res.writeHead(status, list);
        } else {
          const head = hookedHead(ctx, status, http2HeadOf(upstreamHeaders));
          res.writeHead(head.status, head.headers);
        }
        for (const chunk of already) res.write(chunk);
        const resume = () => stream.resume();
        stream.on('data', (chunk: Buffer) => {
          if (!res.write(chunk)) {
            stream.pause();
            res.once('drain', resume);
          }
        });
        stream.once('end', () => {
          // Trailers travel only on a chunked answer (an HTTP/1.1 client, no Content-Length).
          if (trailers) res.addTrailers(trailersFor(trailers));
          res.end();
        });
      };

      const collect = (
        status: number,
        head: IncomingHttpHeaders,
        maxBytes: number,
        streamOverflow: boolean,
      ) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const onData = (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes && streamOverflow) {
            stream.off('data', onData).off('end', onEnd);
            chunks.push(chunk);
            streamAnswer(status, http2Headers(head, status), chunks);
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
          const answer = hookedHead(ctx, status, head);
          resolve({ status: answer.status, headers: answer.headers, body: Buffer.concat(chunks, size) });
        };
        stream.on('data', onData);
        stream.once('end', onEnd);
      };

      if (Buffer.isBuffer(body)) {
        stream.end(body);
      } else if (body !== undefined) {
        body.once('error', (error: Error) => stream.destroy(error));
        body.pipe(stream);
      } else if (clientBody) {
        // The client's body streams (pipe: the upstream's flow control pauses the client), then
        // its trailers, if it sent any.
        stream.once('wantTrailers', () => stream.sendTrailers(trailersFor(req.trailers)));
        req.once('error', () => stream.close(NGHTTP2_CANCEL));
        req.pipe(stream);
      }
    });
  };
}

/** Failures particular to HTTP/2: an upstream that does not speak it gets a hint of its own. */
function http2Error(error: unknown, target: string, service: string, timeoutMs: number): GatewayError {
  const code = (error as { code?: string } | undefined)?.code;
  if (code === 'ERR_HTTP2_ERROR' || code === 'ERR_HTTP2_SESSION_ERROR') {
    return new GatewayError('GW_UPSTREAM_BAD_RESPONSE', `${service} (${target}) did not answer in HTTP/2`, {
      hint: `${service} is set to speak HTTP/2 (\`protocol\`), but ${target} does not (h2c with prior knowledge for http://, h2 by ALPN for https://) — drop \`protocol\` for an HTTP/1.1 server`,
      cause: error,
    });
  }
  return upstreamError(error, target, service, timeoutMs);
}

/** Policies' response hooks, then the gateway's own headers, over a head given as an object. */
function hookedHead(
  ctx: GatewayContext,
  status: number,
  headers: IncomingHttpHeaders,
): { status: number; headers: IncomingHttpHeaders } {
  const head = { status, headers };
  for (const hook of ctx.responseHooks) hook(head, ctx);
  const own: OutgoingHttpHeaders = ctx.responseHeaders;
  for (const name in own) {
    const value = own[name];
    if (value !== undefined)
      head.headers[name] = typeof value === 'number' ? String(value) : (value as string | string[]);
  }
  return head;
}
