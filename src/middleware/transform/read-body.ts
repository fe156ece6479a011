import type { Readable } from 'node:stream';
import { GatewayError } from '../../errors.js';
import { upstreamBody } from '../../pipeline/hooks.js';
import type { GatewayContext } from '../../pipeline/types.js';
import { bodyTooLarge, isChunked } from '../body-limit.js';

/** Whether the request carries a body at all (a declared length above zero, or chunked). */
export function hasRequestBody(ctx: GatewayContext): boolean {
  const declared = ctx.req.headers['content-length'];
  if (declared !== undefined) return Number(declared) > 0;
  return isChunked(ctx.req);
}

/**
 * Reads the request body (from a policy's replacement stream when there is one, e.g. bodyLimit's
 * counter) up to `maxBytes`; a declared Content-Length over it is refused before reading a byte.
 */
export function readRequestBody(ctx: GatewayContext, maxBytes: number): Promise<Buffer> {
  const declared = ctx.req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.reject(bodyTooLarge(ctx.route.id, maxBytes, Number(declared)));
  }
  const replaced = upstreamBody(ctx);
  if (Buffer.isBuffer(replaced)) return Promise.resolve(replaced);
  const source: Readable = replaced ?? ctx.req;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      ctx.req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        source.pause();
        reject(bodyTooLarge(ctx.route.id, maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(
        error instanceof GatewayError
          ? error
          : new GatewayError('GW_BAD_REQUEST', `The request body could not be read: ${error.message}`),
      );
    };
    const onAborted = () => onError(new Error('the client went away'));
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onError);
    ctx.req.once('aborted', onAborted);
  });
}
