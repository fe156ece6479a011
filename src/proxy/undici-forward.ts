import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { GatewayContext } from '../pipeline/types.js';
import {
  answerHeadEdits,
  bodyTap,
  markOutcome,
  recordSentHeaders,
  upstreamBody,
  type BodyTap,
} from '../pipeline/hooks.js';
import { answerTaps } from '../pipeline/answer-tap.js';
import {
  defaultTimeouts,
  markRetryable,
  type ForwardMode,
  type UpstreamResponse,
} from './forwarder-types.js';
import { declaresBody, pairsOf } from './forward-headers.js';
import { framingOf, responseHeaderList, timeoutError } from './upstream-head.js';
import { classifyUpstreamError, connectTimeout, idleTimeout, upstreamError } from './upstream-errors.js';
import type { Target, UpstreamPool } from './upstream-types.js';
import { endpointOf, upstreamHeaderList } from './upstream-request-head.js';
import { relayInformation } from './informational.js';
import { ForwardClock, type Phase } from './forward-clock.js';
import { undiciPoolOf } from './undici-pools.js';
import { countRelayed } from './bulk-transfer.js';

/**
 * The forward of the common request, on undici: an idempotent request without a body (GET, HEAD,
 * OPTIONS, DELETE) to a plain-HTTP target, its answer streamed to the client as it came. undici's
 * pool costs about 19 µs of CPU a request less than Node's client on the bench machine (the
 * `raw-lean` and `undici-legacy` rows of `npm run bench`), about a sixth of all gw spends.
 *
 * Everything else keeps Node's client (http-forward.ts), for what undici cannot do or what only
 * some routes need: request bodies (undici cannot send a request's trailers), https targets (their
 * TLS settings live on Node agents), buffered answers and answers a policy edits or records, and
 * retries on a status. undici also refuses an upstream's `100 Continue` that nobody asked for (it
 * destroys the socket; RFC 9110 §15.2 says a client must read it): such a request, having sent no
 * body and being idempotent, is sent again on Node's client, which relays the 100, and the target
 * is remembered as one that sends them.
 *
 * The four clocks are those of http-forward.ts: undici's pool keeps the connect timeout (it has no
 * per-request connect event), the forward's own clock the head's and the body's.
 */

const idempotentBodyless = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);
/** Targets that answered with an unrequested `100 Continue`: Node's client serves them. */
const sendsContinue = new WeakSet<Target>();

/** Whether undici carries this forward (see above); the rest goes to http-forward.ts. */
export function carriedByUndici(ctx: GatewayContext, target: Target, mode: ForwardMode | undefined): boolean {
  return (
    target.url.protocol === 'http:' &&
    idempotentBodyless.has(ctx.method) &&
    upstreamBody(ctx) === undefined &&
    !declaresBody(ctx.upstreamHeaders) &&
    mode?.buffer === undefined &&
    mode?.retryStatuses === undefined &&
    answerHeadEdits(ctx) === undefined &&
    answerTaps(ctx) === undefined &&
    !sendsContinue.has(target)
  );
}

/** A 101 answer to a plain request (parsed as a malformed answer: 502). */
const unaskedSwitch = Object.assign(new Error('switched protocols on a request that asked for no upgrade'), {
  code: 'HPE_UNEXPECTED_UPGRADE',
});

type Fallback = (
  ctx: GatewayContext,
  pool: UpstreamPool,
  target: Target,
  mode: ForwardMode | undefined,
) => Promise<UpstreamResponse | undefined>;

/**
 * Sends `ctx` to `target` on undici. Settles once the client response is done (undefined), or
 * rejects with a GatewayError when it failed before any byte reached the client.
 */
export function forwardWithUndici(
  ctx: GatewayContext,
  pool: UpstreamPool,
  target: Target,
  mode: ForwardMode | undefined,
  fallback: Fallback,
): Promise<UpstreamResponse | undefined> {
  const endpoint = endpointOf(target);
  const timeouts = mode?.timeouts ?? defaultTimeouts;
  ctx.target = target.key;
  ctx.upstreamUrl = target.key + ctx.upstreamPath + ctx.search;
  return new Promise((resolve, reject) => {
    const exchange = new UndiciExchange(ctx, pool, target, mode, fallback, resolve, reject);
    const upstream = undiciPoolOf(target, endpoint, timeouts.connectMs);
    pool.started(target);
    upstream.dispatch(
      {
        method: ctx.method,
        path: endpoint.basePath + ctx.upstreamPath + ctx.search,
        headers: upstreamHeaderList(
          ctx.method,
          ctx.upstreamHeaders,
          undefined,
          endpoint,
          pool.hostHeader === 'target',
        ),
        body: null,
      },
      exchange,
    );
  });
}

/**
 * One request's handler (undici's handler API with raw headers, the one it calls without an
 * adapter). A class rather than closures: one object a request instead of a dozen functions.
 */
class UndiciExchange implements Dispatcher.DispatchHandler {
  #done = false;
  #headSeen = false;
  #interim = false;
  #abort: ((error?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  /** Bytes of the answer relayed so far (bulk-transfer.ts). */
  #relayed = 0;
  readonly #clock: ForwardClock;
  readonly #tap: BodyTap | undefined;
  readonly #sentAt = performance.now();
  readonly #idleMs: number;
  readonly #connectMs: number;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly pool: UpstreamPool,
    private readonly target: Target,
    private readonly mode: ForwardMode | undefined,
    private readonly fallback: Fallback,
    private readonly resolve: (value: UpstreamResponse | undefined) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    const timeouts = mode?.timeouts ?? defaultTimeouts;
    this.#idleMs = timeouts.idleMs;
    this.#connectMs = timeouts.connectMs;
    this.#clock = new ForwardClock(ctx.timeoutMs, timeouts.idleMs, this.#onTimeout);
    this.#tap = bodyTap(ctx);
    // 'close' is emitted once: `on` spares the once-wrapper.
    ctx.res.on('close', this.#onClientClose);
  }

  #finish(outcome: 'ok' | 'connect-failed' | 'failed'): boolean {
    if (this.#done) return false;
    this.#done = true;
    this.#clock.stop();
    this.pool.finished(this.target, outcome);
    return true;
  }

  readonly #onClientClose = (): void => {
    const { res } = this.ctx;
    // The client went away (or the answer is done): an unfinished upstream request is cut.
    if (!res.writableFinished) this.#abort?.();
    if (this.#finish(res.writableFinished ? 'ok' : 'failed')) this.resolve(undefined);
  };

  readonly #onTimeout = (phase: Phase): void => {
    if (phase !== 'body') {
      // Reported by onError, which knows whether the client got a head yet.
      this.#abort?.(timeoutError(this.ctx.timeoutMs));
      return;
    }
    const error = idleTimeout(this.target.key, this.pool.name, this.#idleMs);
    const { res } = this.ctx;
    if (res.headersSent) {
      // Too late for an error answer: the client's response is cut, the upstream's too.
      markOutcome(this.ctx, 'reason', error.message);
      if (this.#finish('failed')) this.resolve(undefined);
      res.destroy();
    } else if (this.#finish('failed')) this.reject(error);
    this.#abort?.();
  };

  readonly #onDrain = (): void => {
    this.#clock.touch();
    this.#resume?.();
  };

  onConnect(abort: (error?: Error) => void): void {
    this.#abort = abort;
    // The client left while the connection was made: nothing more to send.
    if (this.#done) abort();
    else this.#clock.arm('head', this.ctx.timeoutMs);
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    const { ctx } = this;
    const { req, res } = ctx;
    const list: string[] = new Array(raw.length);
    for (let i = 0; i < raw.length; i++) list[i] = raw[i]!.toString('latin1');
    if (status < 200) {
      if (status === 101) {
        // Without an Upgrade header (with one, undici refuses it itself): never relayed.
        this.#abort?.(unaskedSwitch);
        return false;
      }
      this.#interim = true;
      relayInformation(req, res, { statusCode: status, statusMessage: statusText, rawHeaders: list });
      return true;
    }
    this.#headSeen = true;
    this.#resume = resume;
    this.#clock.arm('body', this.#idleMs);
    ctx.upstreamMs = performance.now() - this.#sentAt;
    this.mode?.onHead?.(status);
    const framing = framingOf(status, ctx.method, res.useChunkedEncodingByDefault);
    const headers = responseHeaderList(list, ctx.responseHeaders, framing, this.mode?.location, req);
    recordSentHeaders(ctx, headers);
    res.writeHead(status, headers);
    if (framing === 'none') {
      // A 204/304 never has a body (RFC 9110 §6.4.1). One that declares one anyway would leave
      // bytes on the connection to be read as the next answer: that socket is not reused.
      res.end();
      if (declaresBody(headersOf(list))) this.#abort?.();
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#clock.touch();
    const { res } = this.ctx;
    if (res.writableEnded) return true;
    this.#relayed = countRelayed(this.#relayed, chunk.length, res);
    this.#tap?.onAnswerChunk(chunk);
    if (res.write(chunk)) return true;
    res.once('drain', this.#onDrain);
    return false;
  }

  onComplete(trailers: Buffer[] | string[] | null): void {
    const { res } = this.ctx;
    // Response trailers (RFC 9110 §6.5) follow the body when the answer went out chunked.
    if (trailers && trailers.length > 0 && res.chunkedEncoding) {
      const list: string[] = [];
      for (const item of trailers) list.push(item.toString('latin1'));
      res.addTrailers(pairsOf(list));
    }
    if (!res.writableEnded) res.end();
    // 'close' of the client response settles the forward.
  }

  onError(error: Error): void {
    if (this.#done) return;
    const { ctx, target, pool } = this;
    const { res } = ctx;
    if (res.writableEnded) {
      if (this.#finish('ok')) this.resolve(undefined);
      return;
    }
    const code = (error as { code?: string }).code;
    if (code === 'UND_ERR_SOCKET' && error.message === 'bad response' && !this.#headSeen && !this.#interim) {
      // An unrequested 100 Continue (see the top): Node's client sends it again and relays it.
      sendsContinue.add(target);
      this.#finish('ok');
      ctx.res.off('close', this.#onClientClose);
      this.fallback(ctx, pool, target, this.mode).then(this.resolve, this.reject);
      return;
    }
    const tripped = this.#clock.tripped;
    const cause = asNodeError(error);
    const connectFailed = code === 'UND_ERR_CONNECT_TIMEOUT' || classifyUpstreamError(cause) === 'connect';
    if (!this.#finish(connectFailed ? 'connect-failed' : 'failed')) return;
    if (res.headersSent) {
      res.destroy();
      this.resolve(undefined);
      return;
    }
    if (code === 'UND_ERR_CONNECT_TIMEOUT') {
      this.reject(markRetryable(connectTimeout(target.key, pool.name, this.#connectMs)));
      return;
    }
    const failure = upstreamError(
      tripped !== undefined ? timeoutError(ctx.timeoutMs) : cause,
      target.key,
      pool.name,
      ctx.timeoutMs,
    );
    // A connect failure never reached the upstream: safe to retry elsewhere, whatever the method.
    this.reject(connectFailed ? markRetryable(failure) : failure);
  }
}

/**
 * undici's errors as the codes Node's client gives for the same failure, which
 * upstream-errors.ts classifies: a parse error is a malformed answer, a socket error a reset.
 */
function asNodeError(error: Error): Error {
  const code = (error as { code?: string }).code;
  if (code === 'UND_ERR_SOCKET' && error.message === 'bad upgrade') return unaskedSwitch;
  if (
    error.name === 'HTTPParserError' ||
    code === 'UND_ERR_HEADERS_OVERFLOW' ||
    code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH'
  )
    return Object.assign(new Error(error.message, { cause: error }), { code: 'HPE_INVALID_RESPONSE' });
  if (code?.startsWith('UND_ERR_'))
    return Object.assign(new Error(error.message, { cause: error }), { code: 'ECONNRESET' });
  return error;
}

/** The few fields of a raw head that decide its framing. */
function headersOf(list: readonly string[]): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!.toLowerCase();
    if (name === 'content-length' || name === 'transfer-encoding') headers[name] = list[i + 1];
  }
  return headers;
}
