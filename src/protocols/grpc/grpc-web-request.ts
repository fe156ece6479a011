import type { IncomingHttpHeaders } from 'node:http';
import { replaceUpstreamBody, upstreamBody } from '../../pipeline/hooks.js';
import type { GatewayContext } from '../../pipeline/types.js';
import { adaptGrpcWebAnswer } from './grpc-web-answer.js';
import { createBase64Decoder } from './grpc-web-codec.js';
import type { GrpcWire } from './grpc-protocol.js';

/**
 * A gRPC-Web call goes upstream as gRPC (PROTOCOL-WEB.md; Envoy's grpc_web filter does the same):
 * content-type application/grpc (its +proto suffix kept), the -text body decoded from base64 as
 * it streams; `te: trailers` and HTTP/2 come with the service's protocol (proxy/http2-headers.ts).
 * The answer is adapted back on its way out (grpc-web-answer.ts).
 */
export function translateGrpcWebCall(ctx: GatewayContext, wire: Exclude<GrpcWire, 'grpc'>): void {
  const headers = ctx.upstreamHeaders;
  headers['content-type'] = String(headers['content-type']).replace(
    /^application\/grpc-web(-text)?/i,
    'application/grpc',
  );
  adaptGrpcWebAnswer(ctx.res, answersInText(ctx.req.headers, wire));
  if (wire !== 'grpc-web-text') return;
  const decoder = createBase64Decoder();
  const body = upstreamBody(ctx) ?? ctx.req;
  if (Buffer.isBuffer(body)) decoder.end(body);
  else body.pipe(decoder);
  replaceUpstreamBody(ctx, decoder);
}

/** A text answer for a text request, or for a client that accepts only text (as Envoy decides). */
export function answersInText(headers: IncomingHttpHeaders, wire: GrpcWire): boolean {
  return wire === 'grpc-web-text' || /application\/grpc-web-text/i.test(headers.accept ?? '');
}
