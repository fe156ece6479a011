import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type https from 'node:https';
import { GatewayError, isGatewayError } from '../errors.js';
import type { GatewayContext } from '../pipeline/types.js';
import { answerHeadEdits, bodyTap, markOutcome, recordSentHeaders, upstreamBody } from '../pipeline/hooks.js';
import { answerTaps, startAnswerTaps } from '../pipeline/answer-tap.js';
import {
  defaultTimeouts,
  markRetryable,
  type ForwardMode,
  type UpstreamResponse,
} from './forwarder-types.js';
import { framingOf, prepareHead, responseHeaderList, timeoutError } from './upstream-head.js';
import {
  classifyUpstreamError,
  connectTimeout,
  idleTimeout,
  requestBodyTimeout,
  upstreamError,
} from './upstream-errors.js';
import type { Target, UpstreamPool } from './upstream-types.js';
import { declaresBody, pairsOf } from './forward-headers.js';
import { relayBody } from './relay-body.js';
import { countRelayed } from './bulk-transfer.js';
import { endpointOf, upstreamHeaderList } from './upstream-request-head.js';
import { relayInformation } from './informational.js';
import { ForwardClock, type Phase } from './forward-clock.js';

/**
 * One HTTP forward on Node's own client, with the target's keep-alive agent. The proxy library
 * (http-proxy-3) did this part before; per request it cost about 13 µs of CPU more than these
 * lines on the bench machine (a URL-less request setup, a copy of every header, a `pipe` even for
 * bodyless requests, six listeners), more than all of gw's policies together (issue 7). What it
 * did that gw needs is here: the client's abort destroys the upstream request, errors are
 * classified, the body streams; the library still carries WebSocket upgrades (forwarder.ts).
 *
 * The answer is always handled here, so that one code path can stream it, buffer it for a policy
 * (cache, transform) or turn a retryable status into a retry before any byte reaches the client.
 */

/** A 101 answer to a plain request (parsed as a malformed answer: 502). */
const unaskedSwitch = Object.assign(new Error('switched protocols on a request that asked for no upgrade'), {
  code: 'HPE_UNEXPECTED_UPGRADE',
});

/**
 * Sends `ctx` to `target`. Streaming (no `mode.buffer`): settles once the client response is done
 * (undefined). Buffering: resolves with the whole answer, nothing written. Rejects with a
 * GatewayError when it failed before any byte reached the client.
 *
 * One clock, four phases: `connectTimeout` until the socket is connected (TLS included),
 * `idleTimeout` of silence while the client's body is uploaded, `timeout` from the end of the
 * request until the upstream's head (a slow upload never counts against it), `idleTimeout` of
 * silence in the answer's body (an event stream that keeps sending never trips it).
 */
export function forwardHttp(
  ctx: GatewayContext,
  pool: UpstreamPool,
  target: Target,
  mode: ForwardMode | undefined,
): Promise<UpstreamResponse | undefined> {
  const { req, res } = ctx;
  const endpoint = endpointOf(target);
  const body = upstreamBody(ctx);
  // inspect.bodies: sees the bodies by reference as they go (undefined, and no work, when off).
  const tap = bodyTap(ctx);
  const headers = upstreamHeaderList(
    ctx.method,
    ctx.upstreamHeaders,
    body,
    endpoint,
    pool.hostHeader === 'target',
  );
  const timeouts = mode?.timeouts ?? defaultTimeouts;
  ctx.target = target.key;
  ctx.upstreamUrl = target.key + ctx.upstreamPath + ctx.search;

  return new Promise<UpstreamResponse | undefined>((resolve, reject) => {
    let done = false;
    // One timer for the four clocks (forward-clock.ts), as the HTTP/2 forward has: a request
    // would otherwise set and clear a timer per phase.
    const clock = new ForwardClock(ctx.timeoutMs, timeouts.idleMs, onTimeout);
    // relayBody and the upload call it per chunk, as a function.
    const touch = () => clock.touch();
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
    function onTimeout(phase: Phase) {
      switch (phase) {
        case 'connect':
        case 'head':
          // Reported by the 'error' listener, which knows whether the client got a head yet.
          proxyReq.destroy(timeoutError(phase === 'head' ? ctx.timeoutMs : timeouts.connectMs));
          return;
        case 'upload':
          // The client's fault, not the target's: the target's health is not charged.
          if (finish('ok')) reject(requestBodyTimeout(timeouts.idleMs));
          proxyReq.destroy();
          return;
        case 'body': {
          const error = idleTimeout(target.key, pool.name, timeouts.idleMs);
          if (res.headersSent) {
            // Too late for an error answer: the client's response is cut, the upstream's too.
            markOutcome(ctx, 'reason', error.message);
            if (finish('failed')) resolve(undefined);
            res.destroy();
          } else fail(error);
          proxyReq.destroy();
        }
      }
    }

    const options: https.RequestOptions = {
      agent: target.agent,
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port,
      servername: endpoint.servername,
      method: ctx.method,
      path: endpoint.basePath + ctx.upstreamPath + ctx.search,
      headers,
    };
    const proxyReq: ClientRequest = endpoint.request(options);
    pool.started(target);
    const sentAt = performance.now();

    // Only a streamed body has an upload to watch: its end ('finish') starts the head's clock. A
    // body in memory, or none, is on the wire at once: the upstream's `timeout` starts when the
    // socket is ready.
    const uploads = body !== undefined ? !Buffer.isBuffer(body) : declaresBody(ctx.upstreamHeaders);
    const connected = () => {
      if (clock.phase !== 'connect') return;
      if (uploads) clock.arm('upload', timeouts.idleMs);
      else clock.arm('head', ctx.timeoutMs);
    };
    // The agent hands over a kept-alive socket before request() returns (reusedSocket is set
    // then): most requests need neither a connect clock nor a 'socket' listener.
    if (proxyReq.reusedSocket) connected();
    else
      proxyReq.once('socket', (socket: Socket) => {
        if (proxyReq.reusedSocket) return connected();
        clock.arm('connect', timeouts.connectMs);
        socket.once(endpoint.secure ? 'secureConnect' : 'connect', connected);
      });
    if (uploads)
      proxyReq.once('finish', () => {
        if (clock.phase === 'connect' || clock.phase === 'upload') clock.arm('head', ctx.timeoutMs);
      });

    proxyReq.on('error', (error: Error) => {
      // A replacement body that failed (e.g. over bodyLimit) is the client's doing, not the target's.
      if (isGatewayError(error)) {
        if (finish('ok')) reject(error);
        return;
      }
      // The answer is already out whole (a 204 with stray bytes after it): nothing to undo.
      if (res.writableEnded) {
        if (finish('ok')) resolve(undefined);
        return;
      }
      const { tripped } = clock;
      const failure =
        tripped === 'connect' ? 'connect' : tripped !== undefined ? 'timeout' : classifyUpstreamError(error);
      if (!finish(failure === 'connect' ? 'connect-failed' : 'failed')) return;
      if (res.headersSent) {
        res.destroy();
        resolve(undefined);
        return;
      }
      const gatewayError =
        tripped === 'connect'
          ? connectTimeout(target.key, pool.name, timeouts.connectMs)
          : upstreamError(error, target.key, pool.name, ctx.timeoutMs);
      // A connect failure never reached the upstream: safe to retry elsewhere, whatever the method.
      reject(failure === 'connect' ? markRetryable(gatewayError) : gatewayError);
    });

    // 'close' is emitted once: `on` spares the once-wrapper.
    res.on('close', () => {
      // The client went away (or the answer is done): an unfinished upstream request is cut, so
      // an aborted download never leaves an upstream stream open.
      if (!res.writableFinished) proxyReq.destroy();
      if (finish(res.writableFinished ? 'ok' : 'failed')) resolve(undefined);
    });

    proxyReq.on('information', (info) => relayInformation(req, res, info));
    // A 101 with Upgrade to a request that asked for none (RFC 9110 §15.2.2: only in answer to
    // an Upgrade): Node's client hands over the socket here, or without this listener drops it
    // and never settles the request. Never relayed: the client would wait on a connection that
    // now speaks another protocol.
    proxyReq.on('upgrade', (_proxyRes: IncomingMessage, socket: Socket) => {
      socket.destroy();
      fail(upstreamError(unaskedSwitch, target.key, pool.name, ctx.timeoutMs));
    });

    proxyReq.on('response', (proxyRes: IncomingMessage) => {
      clock.arm('body', timeouts.idleMs);
      ctx.upstreamMs = performance.now() - sentAt;
      const status = proxyRes.statusCode ?? 502;
      if (status === 101) {
        // The same without an Upgrade header.
        proxyReq.destroy(unaskedSwitch);
        return;
      }
      // A 204/304 never has a body (RFC 9110 §6.4.1); one that declares one anyway leaves bytes
      // on the connection that would be read as the next answer: the socket is not reused.
      if ((status === 204 || status === 304) && declaresBody(proxyRes.headers))
        proxyReq.shouldKeepAlive = false;
      mode?.onHead?.(status);
      if (mode?.retryStatuses?.has(status)) {
        proxyRes.resume();
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
      if (buffer && (buffer.when?.(status, proxyRes.headers) ?? true)) {
        return collect(proxyRes, buffer.maxBytes, buffer.streamOverflow === true);
      }
      stream(proxyRes, []);
    });

    const stream = (proxyRes: IncomingMessage, already: Buffer[]) => {
      const status = proxyRes.statusCode ?? 502;
      const framing = framingOf(status, ctx.method, res.useChunkedEncodingByDefault);
      if (answerHeadEdits(ctx) === undefined) {
        const list = responseHeaderList(
          proxyRes.rawHeaders,
          ctx.responseHeaders,
          framing,
          mode?.location,
          req,
        );
        recordSentHeaders(ctx, list);
        res.writeHead(status, list);
      } else {
        const head = prepareHead(ctx, proxyRes, framing, mode?.location);
        res.writeHead(head.status, head.headers);
      }
      if (framing === 'none') {
        // Whatever bytes follow such a head are not its body: the answer ends here.
        res.end();
        proxyRes.resume();
        return;
      }
      for (const chunk of already) res.write(chunk);
      if (tap) for (const chunk of already) tap.onAnswerChunk(chunk);
      const taps = answerTaps(ctx);
      if (taps) startAnswerTaps(taps, res.statusCode, proxyRes.headers, already, proxyRes);
      relayBody(proxyRes, res, touch, tap?.onAnswerChunk);
    };

    const collect = (proxyRes: IncomingMessage, maxBytes: number, streamOverflow: boolean) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        touch();
        size += chunk.length;
        if (size > maxBytes && streamOverflow) {
          // Too big to keep: send what came so far and stream the rest; res 'close' settles.
          // Only our own listeners go (Node's own 'end' listener returns the socket to the agent).
          proxyRes.off('data', onData).off('error', onBroken).off('aborted', onBroken).off('end', onEnd);
          chunks.push(chunk);
          stream(proxyRes, chunks);
          return;
        }
        if (size > maxBytes) {
          // Fail first: destroying emits 'aborted' at once, which would report a reset instead.
          fail(
            new GatewayError(
              'GW_UPSTREAM_BAD_RESPONSE',
              `${pool.name} answered with more than ${maxBytes} bytes, too large to buffer`,
            ),
          );
          proxyRes.destroy();
          return;
        }
        chunks.push(chunk);
      };
      const onBroken = () =>
        fail(upstreamError({ code: 'ECONNRESET' }, target.key, pool.name, ctx.timeoutMs));
      const onEnd = () => {
        if (!finish('ok')) return;
        const head = prepareHead(ctx, proxyRes, 'plain', mode?.location);
        resolve({ status: head.status, headers: head.headers, body: Buffer.concat(chunks, size) });
      };
      proxyRes.on('data', onData);
      proxyRes.once('error', onBroken);
      proxyRes.once('aborted', onBroken);
      proxyRes.once('end', onEnd);
    };

    if (Buffer.isBuffer(body)) {
      tap?.requestBody(body);
      proxyReq.end(body);
    } else if (body !== undefined) {
      body.once('error', (error: Error) => proxyReq.destroy(error));
      upload(body);
    } else if (uploads) {
      // A client that breaks off its body mid-way: the upstream request goes with it.
      req.once('error', () => proxyReq.destroy());
      upload(req);
    } else {
      proxyReq.end();
    }

    /**
     * Streams a body upstream; each chunk restarts the upload's idle clock, and a large body
     * holds V8's heap growth while the exchange lasts (bulk-transfer.ts). The request's
     * trailers (a chunked body's last fields, which gRPC relies on) follow it.
     */
    function upload(source: Readable) {
      let sent = 0;
      source.on('data', (chunk: Buffer) => {
        if (clock.phase === 'upload') touch();
        sent = countRelayed(sent, chunk.length, res);
      });
      if (tap) source.on('data', tap.onRequestChunk);
      source.pipe(proxyReq, { end: false });
      source.once('end', () => {
        // The client's own trailers, also when a policy's stream (bodyLimit's counter) carried
        // the body: it ends once the client's body has.
        const trailers = req.rawTrailers;
        if (trailers.length > 0 && proxyReq.chunkedEncoding) proxyReq.addTrailers(pairsOf(trailers));
        proxyReq.end();
      });
    }
  });
}
