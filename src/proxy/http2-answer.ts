import type { ClientHttp2Stream, IncomingHttpHeaders as Http2Headers } from 'node:http2';
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { GatewayContext } from '../pipeline/types.js';
import { answerHeadEdits, recordSentHeaders } from '../pipeline/hooks.js';
import { countRelayed } from './bulk-transfer.js';
import { http2HeadOf, responseHeadList, trailersFor } from './http2-headers.js';
import type { LocationRewrite } from './rewrite-location.js';
import { framingOf, type Framing } from './upstream-head.js';

/**
 * The client's side of an HTTP/2 answer (http2-forward.ts): its head, written the way
 * http-forward.ts writes an HTTP/1.1 one (framing, Location rewrite, the gateway's own headers,
 * policies' hooks), and its body relayed with backpressure, then its trailers.
 */

/**
 * Writes the client's head for an upstream HTTP/2 head; returns how the answer is framed.
 * `withEnd`: the head is only set, to leave with the caller's res.end() (on HTTP/2 one HEADERS
 * frame that ends the stream, the shape of a gRPC trailers-only answer).
 */
export function writeHttp2Head(
  ctx: GatewayContext,
  status: number,
  received: Http2Headers,
  location: LocationRewrite | undefined,
  withEnd = false,
): Framing {
  const { req, res } = ctx;
  const framing = framingOf(status, ctx.method, res.useChunkedEncodingByDefault);
  if (answerHeadEdits(ctx) === undefined) {
    const list = responseHeadList(received, ctx.responseHeaders, framing, location, req);
    recordSentHeaders(ctx, list);
    if (withEnd) setHead(res, status, list);
    else res.writeHead(status, list);
  } else {
    const head = hookedHead(ctx, status, http2HeadOf(received, framing, location, req));
    if (withEnd) setHead(res, head.status, head.headers);
    else res.writeHead(head.status, head.headers);
  }
  return framing;
}

/** Sets a head on the response without sending it (it leaves with end()). */
function setHead(
  res: ServerResponse,
  status: number,
  headers: IncomingHttpHeaders | readonly string[],
): void {
  res.statusCode = status;
  if (!Array.isArray(headers)) {
    const object = headers as IncomingHttpHeaders;
    for (const name in object) {
      const value = object[name];
      if (value !== undefined) res.setHeader(name, value);
    }
    return;
  }
  const grouped = new Map<string, string[]>();
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase();
    const values = grouped.get(name);
    if (values) values.push(headers[i + 1]!);
    else grouped.set(name, [headers[i + 1]!]);
  }
  for (const [name, values] of grouped) res.setHeader(name, values.length === 1 ? values[0]! : values);
}

/** What a relayed answer may have queued for a slow client before the upstream stream pauses. */
const RELAY_SLACK = 1024 * 1024;

/**
 * What relays an answer's body (the forward): the client's response, the upstream's trailers once
 * they came, and the idle clock that each chunk and drain restarts.
 */
export interface Relay {
  readonly res: ServerResponse;
  trailers: Http2Headers | undefined;
  /** Bytes of the body relayed so far (bulk-transfer.ts). */
  relayed: number;
  touch(): void;
}

/** Where a relayed stream's listeners find their relay (`this` in a listener is the stream). */
export const RELAY = Symbol('http2 relay');
export interface RelayedStream extends ClientHttp2Stream {
  [RELAY]?: Relay;
}

/**
 * Streams the upstream's body to the client: the client's backpressure pauses the stream (and so,
 * by HTTP/2 flow control, the upstream). The upstream's trailers (gRPC's status) follow the body
 * when the answer is chunked; they are read at the end, so a paused reader loses nothing.
 * `relay.touch` is called on every chunk and drain (the forward's idle clock). The listeners are
 * module functions, not closures made per call.
 */
export function relayHttp2Body(stream: RelayedStream, relay: Relay): void {
  stream[RELAY] = relay;
  // on(), not once(): a stream emits each of these once (once() allocates a wrapper per call).
  stream.on('trailers', onRelayTrailers);
  stream.on('data', onRelayData);
  stream.on('end', onRelayEnd);
}

function onRelayTrailers(this: RelayedStream, received: Http2Headers): void {
  this[RELAY]!.trailers = received;
}

function onRelayData(this: RelayedStream, chunk: Buffer): void {
  const relay = this[RELAY]!;
  const res = relay.res;
  relay.touch();
  relay.relayed = countRelayed(relay.relayed, chunk.length, this);
  // An answer gw ended early (a gRPC deadline) takes no more; the forward resets the stream.
  if (res.writableEnded) return;
  // Paused only past RELAY_SLACK, not at the response's 16 KiB mark: a pause per DATA frame
  // stalls the upstream's window for a round trip each time.
  if (!res.write(chunk) && res.writableLength >= RELAY_SLACK) {
    this.pause();
    res.once('drain', () => {
      relay.touch();
      this.resume();
    });
  }
}

function onRelayEnd(this: RelayedStream): void {
  const { res, trailers } = this[RELAY]!;
  if (trailers && res.chunkedEncoding) res.addTrailers(trailersFor(trailers));
  res.end();
}

/** Policies' response hooks, then the gateway's own headers, over a head given as an object. */
export function hookedHead(
  ctx: GatewayContext,
  status: number,
  headers: IncomingHttpHeaders,
): { status: number; headers: IncomingHttpHeaders } {
  const head = { status, headers };
  const edits = answerHeadEdits(ctx);
  if (edits) for (const edit of edits) edit(head, ctx);
  const own: OutgoingHttpHeaders = ctx.responseHeaders;
  for (const name in own) {
    const value = own[name];
    if (value !== undefined)
      head.headers[name] = typeof value === 'number' ? String(value) : (value as string | string[]);
  }
  return head;
}
