import type { ClientHttp2Stream, IncomingHttpHeaders as Http2Headers } from 'node:http2';
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { GatewayContext } from '../pipeline/types.js';
import { http2HeadOf, responseHeadList, trailersFor } from './http2-headers.js';
import type { LocationRewrite } from './rewrite-location.js';
import { framingOf, type Framing } from './upstream-head.js';

/**
 * The client's side of an HTTP/2 answer (http2-forward.ts): its head, written the way
 * http-forward.ts writes an HTTP/1.1 one (framing, Location rewrite, the gateway's own headers,
 * policies' hooks), and its body relayed with backpressure, then its trailers.
 */

/** Writes the client's head for an upstream HTTP/2 head; returns how the answer is framed. */
export function writeHttp2Head(
  ctx: GatewayContext,
  status: number,
  received: Http2Headers,
  location: LocationRewrite | undefined,
): Framing {
  const { req, res } = ctx;
  const framing = framingOf(status, ctx.method, res.useChunkedEncodingByDefault);
  if (ctx.responseHooks.length === 0) {
    const list = responseHeadList(received, ctx.responseHeaders, framing, location, req);
    ctx.sentHeaders = list;
    res.writeHead(status, list);
  } else {
    const head = hookedHead(ctx, status, http2HeadOf(received, framing, location, req));
    res.writeHead(head.status, head.headers);
  }
  return framing;
}

/**
 * Streams the upstream's body to the client: the client's backpressure pauses the stream (and so,
 * by HTTP/2 flow control, the upstream). The upstream's trailers (gRPC's status) follow the body
 * when the answer is chunked; they are read at the end, so a paused reader loses nothing.
 * `touch` is called on every chunk and drain (the forward's idle clock).
 */
export function relayHttp2Body(stream: ClientHttp2Stream, res: ServerResponse, touch: () => void): void {
  let trailers: Http2Headers | undefined;
  stream.once('trailers', (received: Http2Headers) => (trailers = received));
  const resume = () => {
    touch();
    stream.resume();
  };
  stream.on('data', (chunk: Buffer) => {
    touch();
    if (!res.write(chunk)) {
      stream.pause();
      res.once('drain', resume);
    }
  });
  stream.once('end', () => {
    if (trailers && res.chunkedEncoding) res.addTrailers(trailersFor(trailers));
    res.end();
  });
}

/** Policies' response hooks, then the gateway's own headers, over a head given as an object. */
export function hookedHead(
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
