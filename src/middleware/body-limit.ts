import { Transform, type TransformCallback } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors.js';
import type { GatewayContext, PolicyFactory } from '../pipeline/types.js';
import { answeredBy, replaceUpstreamBody } from '../pipeline/hooks.js';

/** 413 with `Connection: close`: the rest of the body is never read, so the connection cannot be reused. */
export function bodyTooLarge(route: string, limit: number, size?: number): GatewayError {
  const seen = size === undefined ? 'more than' : `${size} bytes, over`;
  return new GatewayError(
    'GW_BODY_TOO_LARGE',
    `Route ${route} accepts bodies up to ${limit} bytes; this one is ${seen} that`,
    {
      headers: { connection: 'close' },
      extensions: { limit },
    },
  );
}

/**
 * Whether the client announced a chunked body. The pipeline strips Transfer-Encoding (hop-by-hop)
 * from the header object before policies run; the raw list still has it.
 */
export function isChunked(req: IncomingMessage): boolean {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'transfer-encoding') return true;
  return false;
}

/** Passes bytes through and fails with 413 once more than `limit` went by. */
function createByteCounter(limit: number, route: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > limit) callback(bodyTooLarge(route, limit));
      else callback(null, chunk);
    },
  });
}

/**
 * Refuses bodies over the route's `bodyLimit` without reading them: a declared Content-Length is
 * judged up front; a chunked body is counted while it streams upstream, and the forward fails
 * with 413 the moment the count passes the limit.
 */
export const createBodyLimitPolicy: PolicyFactory = (route) => {
  const limit = route.config.bodyLimit;
  if (limit === undefined) return undefined;
  const refuse = (ctx: GatewayContext, error: GatewayError): never => {
    answeredBy(ctx, 'bodyLimit', error.message);
    throw error;
  };
  return async function bodyLimit(ctx, next) {
    const declared = ctx.req.headers['content-length'];
    if (declared !== undefined) {
      const size = Number(declared);
      if (size > limit) refuse(ctx, bodyTooLarge(route.id, limit, size));
    } else if (isChunked(ctx.req) && !ctx.upgrade) {
      const counter = createByteCounter(limit, route.id);
      replaceUpstreamBody(ctx, ctx.req.pipe(counter));
      try {
        await next();
      } catch (error) {
        if (error instanceof GatewayError && error.code === 'GW_BODY_TOO_LARGE') refuse(ctx, error);
        throw error;
      }
      return;
    }
    await next();
  };
};
