import type { IncomingHttpHeaders } from 'node:http';
import { answerHeadEdits } from '../pipeline/hooks.js';
import type { GatewayContext, UpstreamHead } from '../pipeline/types.js';
import type { Recording } from '../observe/recording.js';
import { decodeChunk } from '../observe/stream-recording.js';

/** The client's head for a replayed stream: the policies' head edits, then gw's own headers. */
function headOf(ctx: GatewayContext, status: number, headers: IncomingHttpHeaders): UpstreamHead {
  const head: UpstreamHead = { status, headers };
  const edits = answerHeadEdits(ctx);
  if (edits) for (const edit of edits) edit(head, ctx);
  for (const name in ctx.responseHeaders) {
    const value = ctx.responseHeaders[name];
    if (value !== undefined) head.headers[name] = typeof value === 'number' ? String(value) : value;
  }
  // The length is unknown until the end, as it was when recorded: chunked (or close-delimited).
  delete head.headers['content-length'];
  delete head.headers['transfer-encoding'];
  return head;
}

/**
 * Sends a streamed recording (stream-recording.ts) with the spacing it was recorded with: each
 * chunk when its `at` (divided by `speed`; 0 sends all at once) has passed since the replay
 * started, counted from that start so that one late timer does not push every later chunk back,
 * and the end at `endedAt`. Every chunk is its own write, so an event-stream client gets each
 * event when it is due; a client that reads slowly is waited for ('drain'). A client that goes
 * away stops it: the pending timer is cleared and nothing more is written. Resolves once the
 * answer has ended or the client has gone.
 */
export function replayStream(
  ctx: GatewayContext,
  response: Recording['response'],
  headers: IncomingHttpHeaders,
  speed: number,
): Promise<void> {
  const { res } = ctx;
  const head = headOf(ctx, response.status, headers);
  res.writeHead(head.status, head.headers);
  const chunks = response.chunks ?? [];
  if (ctx.method === 'HEAD' || head.status === 204 || head.status === 304) {
    res.end();
    return Promise.resolve();
  }
  // The head goes now, even when the first chunk is not due yet.
  res.flushHeaders();
  const startedAt = performance.now();
  const wait = (at: number) => (speed === 0 ? 0 : startedAt + at / speed - performance.now());
  let next = 0;
  let timer: NodeJS.Timeout | undefined;

  return new Promise<void>((resolve) => {
    const stop = () => {
      clearTimeout(timer);
      timer = undefined;
      res.off('drain', pump);
      resolve();
    };
    res.once('close', stop);
    function pump(): void {
      timer = undefined;
      if (res.destroyed) return;
      while (next < chunks.length) {
        const chunk = chunks[next]!;
        const ms = wait(chunk.at);
        if (ms >= 1) {
          timer = setTimeout(pump, ms);
          return;
        }
        next++;
        if (!res.write(decodeChunk(chunk))) {
          res.once('drain', pump);
          return;
        }
      }
      const ms = wait(response.endedAt ?? chunks.at(-1)?.at ?? 0);
      if (ms >= 1) timer = setTimeout(finish, ms);
      else finish();
    }
    function finish(): void {
      timer = undefined;
      // 'close' follows the end and resolves.
      if (!res.destroyed) res.end();
    }
    pump();
  });
}
