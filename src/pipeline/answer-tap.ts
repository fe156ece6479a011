import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { GatewayContext } from './types.js';

/**
 * A hook in the style of hooks.ts: sees an upstream answer that streams to the client, without
 * holding it back: its head once written (status and headers as the upstream sent them), then
 * every chunk as it is relayed. The end is the client response's 'finish' (whole) or its 'close'
 * without one (cut short). Record and replay keeps streamed answers with their timing this way
 * (issue 17, item 3); several taps may watch one answer.
 */
export interface AnswerTap {
  head(status: number, headers: IncomingHttpHeaders): void;
  chunk(chunk: Buffer): void;
}

/**
 * The taps of the requests that have any. Kept beside the context rather than in a slot of it:
 * only recording routes tap, and the forward looks here once per streamed answer, never per chunk.
 */
const tapsOf = new WeakMap<GatewayContext, AnswerTap[]>();
/** Until a tap is set, a process that records nothing skips even the lookup. */
let anyTaps = false;

/** Has `tap` see the answer if it streams (a buffered answer is ctx.response, whole, instead). */
export function tapAnswer(ctx: GatewayContext, tap: AnswerTap): void {
  anyTaps = true;
  const taps = tapsOf.get(ctx);
  if (taps) taps.push(tap);
  else tapsOf.set(ctx, [tap]);
}

/** The taps of this request, if any (the forwards ask once per streamed answer). */
export function answerTaps(ctx: GatewayContext): readonly AnswerTap[] | undefined {
  return anyTaps ? tapsOf.get(ctx) : undefined;
}

/**
 * For the forwards, as an answer starts to stream: shows the taps its head, the chunks read
 * before it streamed (`already`, written first), then each chunk of `body` as it is relayed.
 */
export function startAnswerTaps(
  taps: readonly AnswerTap[],
  status: number,
  headers: IncomingHttpHeaders,
  already: readonly Buffer[],
  body: Readable,
): void {
  for (const tap of taps) {
    tap.head(status, headers);
    for (const chunk of already) tap.chunk(chunk);
    body.on('data', (chunk: Buffer) => tap.chunk(chunk));
  }
}
