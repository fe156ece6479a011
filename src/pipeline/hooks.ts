import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { ErrorCode, GatewayError } from '../errors.js';
import type { RequestOutcome } from '../events/gateway-events.js';
import {
  BODY_TAP,
  BUFFERING,
  HEAD_EDITS,
  OUTCOME,
  SENT_HEADERS,
  UPSTREAM_BODY,
  type BodyTap,
  type HeadEdit,
} from './forward-state.js';
import type { BufferRequest, GatewayContext } from './types.js';

export type { BodyTap, HeadEdit } from './forward-state.js';

/**
 * How policies talk to the forward and to each other: a call per intent instead of fields each
 * one sets and another one reads (issue 11, item 3). The state behind them sits in slots that
 * only forward-state.ts names, so these functions are the only way to it.
 */

/** Who answered instead of the upstream: a policy, or the code of the error that answered. */
export type AnsweredBy =
  | 'auth'
  | 'cors'
  | 'rate-limit'
  | 'bodyLimit'
  | 'use'
  | 'faults'
  | 'mock'
  | 'replay'
  | 'transform'
  | 'circuit-breaker'
  | ErrorCode;

/** Records who answered and why, in one readable sentence (the log and the dashboard show it). */
export function answeredBy(ctx: GatewayContext, by: AnsweredBy, reason: string): void {
  const outcome = ctx[OUTCOME];
  outcome.answeredBy = by;
  outcome.reason = reason;
}

/**
 * Records the error gw answers with: its code and hint, and its message as the reason unless a
 * policy already gave one; a client error (< 500) with no policy named counts as answered by it.
 */
export function answeredWithError(ctx: GatewayContext, error: GatewayError): void {
  const outcome = ctx[OUTCOME];
  if (!outcome.answeredBy && error.status < 500) outcome.answeredBy = error.code;
  outcome.reason ??= error.message;
  outcome.code = error.code;
  outcome.hint = error.hint;
}

/**
 * What a policy may note about a request for the log and the dashboard: a marker, or the reason a
 * failure it throws happened (when the error's own message says less).
 */
export type OutcomeMark =
  'cache' | 'limited' | 'limitRemaining' | 'retries' | 'mocked' | 'fault' | 'partial' | 'reason' | 'drift';

/** Notes one fact about the request (a cache hit, a rate limit's remainder, an injected fault …). */
export function markOutcome<K extends OutcomeMark>(
  ctx: GatewayContext,
  mark: K,
  value: RequestOutcome[K],
): void {
  ctx[OUTCOME][mark] = value;
}

/**
 * Sends `body` upstream instead of the client's: a Buffer goes with its Content-Length (and may be
 * sent again by a retry), a stream goes chunked; an error the stream emits fails the forward with it.
 */
export function replaceUpstreamBody(ctx: GatewayContext, body: Buffer | Readable): void {
  ctx[UPSTREAM_BODY] = body;
}

/** The body that goes upstream when a policy replaced it (a Buffer once read, or a stream), else undefined. */
export function upstreamBody(ctx: GatewayContext): Buffer | Readable | undefined {
  return ctx[UPSTREAM_BODY];
}

/** Calls `edit` with the upstream's head before it is written to the client (status, headers). */
export function onAnswerHead(ctx: GatewayContext, edit: HeadEdit): void {
  const edits = ctx[HEAD_EDITS];
  if (edits) edits.push(edit);
  else ctx[HEAD_EDITS] = [edit];
}

/** The head edits policies asked for, in order; undefined when none did (the head can go as sent). */
export function answerHeadEdits(ctx: GatewayContext): readonly HeadEdit[] | undefined {
  return ctx[HEAD_EDITS];
}

/** The forward wrote the client's head straight from the upstream's, as this flat list (for the log). */
export function recordSentHeaders(ctx: GatewayContext, list: readonly string[]): void {
  ctx[SENT_HEADERS] = list;
}

/** The head the forward wrote as a flat [name, value, …] list, when it wrote it from the upstream's. */
export function sentHeaders(ctx: GatewayContext): readonly string[] | undefined {
  return ctx[SENT_HEADERS];
}

export interface AnswerBuffering {
  maxBytes: number;
  /** Buffer only answers whose head passes (e.g. JSON for a body transform); the others stream. */
  when?: (status: number, headers: IncomingHttpHeaders) => boolean;
  /** An answer over maxBytes: stream it on unbuffered (a cache that will not store it), or fail (502). */
  overflow: 'stream' | 'fail';
}

/**
 * Has the upstream's answer buffered instead of streamed: the forward fills `ctx.response` and
 * writes nothing; policies may edit or replace it on the way out, and the pipeline writes it last.
 */
export function bufferAnswer(ctx: GatewayContext, buffering: AnswerBuffering): void {
  ctx[BUFFERING] = {
    maxBytes: buffering.maxBytes,
    when: buffering.when,
    streamOverflow: buffering.overflow === 'stream',
  };
}

/** The buffering a policy asked for on this request, if any. */
export function answerBuffering(ctx: GatewayContext): BufferRequest | undefined {
  return ctx[BUFFERING];
}

/** Shows this request's bodies to `tap` as the forward sends and relays them (inspect.bodies). */
export function tapBodies(ctx: GatewayContext, tap: BodyTap): void {
  ctx[BODY_TAP] = tap;
}

/** The tap the forward shows the bodies to, when inspect.bodies is on; else undefined. */
export function bodyTap(ctx: GatewayContext): BodyTap | undefined {
  return ctx[BODY_TAP];
}
