import http2, { type IncomingHttpHeaders as Http2Headers } from 'node:http2';
import { GatewayError } from '../errors.js';
import { hookedHead } from './http2-answer.js';
import type { Http2Forward } from './http2-forward.js';
import { http2HeadOf, http2Headers } from './http2-headers.js';

const { NGHTTP2_CANCEL } = http2.constants;

/**
 * Buffers an HTTP/2 forward's answer for a policy (cache, transform, aggregate): resolves the
 * forward with the whole answer, nothing written. One over `maxBytes` fails (502), or, with
 * `streamOverflow`, goes on to the client as a stream from what came so far.
 */
export function collectAnswer(
  forward: Http2Forward,
  status: number,
  received: Http2Headers,
  maxBytes: number,
  streamOverflow: boolean,
): void {
  const { stream, clock, pool } = forward;
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    clock.touch();
    size += chunk.length;
    if (size > maxBytes && streamOverflow) {
      // Too big to keep: send what came so far and stream the rest; res 'close' settles.
      stream.off('data', onData).off('end', onEnd);
      chunks.push(chunk);
      forward.streamAnswer(status, http2Headers(http2HeadOf(received), status), chunks);
      return;
    }
    if (size > maxBytes) {
      forward.fail(
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
    if (!forward.finish('ok')) return;
    const head = hookedHead(
      forward.ctx,
      status,
      http2HeadOf(received, 'plain', forward.mode?.location, forward.req),
    );
    forward.resolve({ status: head.status, headers: head.headers, body: Buffer.concat(chunks, size) });
  };
  stream.on('data', onData);
  stream.once('end', onEnd);
}
