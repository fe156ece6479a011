import type { Readable } from 'node:stream';
import type { InspectedBodies, RequestOutcome } from '../events/gateway-events.js';
import type { BufferRequest, GatewayContext, UpstreamHead } from './types.js';

/**
 * What policies asked of the forward for one request, kept on the context under symbols only this
 * module names: hooks.ts writes and reads them, the context factory sets them up, and a lint rule
 * keeps every other module from importing them (issue 11, item 3: typed hooks, not flags). The
 * slots live on the context itself, set once when it is created, so a request whose route has no
 * such policy allocates nothing for them.
 */
export const HEAD_EDITS: unique symbol = Symbol('gw.headEdits');
export const UPSTREAM_BODY: unique symbol = Symbol('gw.upstreamBody');
export const BUFFERING: unique symbol = Symbol('gw.buffering');
export const SENT_HEADERS: unique symbol = Symbol('gw.sentHeaders');
export const OUTCOME: unique symbol = Symbol('gw.outcome');
export const BODY_TAP: unique symbol = Symbol('gw.bodyTap');

export type HeadEdit = (head: UpstreamHead, ctx: GatewayContext) => void;

/** Sees the bodies go by for inspection (src/observe/inspect/): chunks by reference, no copies. */
export interface BodyTap extends InspectedBodies {
  /** A chunk of the body going upstream (a 'data' listener as it is). */
  readonly onRequestChunk: (chunk: Buffer) => void;
  /** The whole body sent from memory; a retry sends it again, so it replaces. */
  requestBody(body: Buffer): void;
  /** A chunk of the answer as it streams to the client (the forward's own relay calls it). */
  readonly onAnswerChunk: (chunk: Buffer) => void;
  /** A whole answer written from memory (buffered, cached, mocked). */
  answerBody(body: Buffer): void;
}

export interface ForwardState {
  /** Edits of the upstream's head, in the order policies asked for them. */
  [HEAD_EDITS]: HeadEdit[] | undefined;
  /** Sent upstream instead of the client's body. */
  [UPSTREAM_BODY]: Buffer | Readable | undefined;
  /** Set when a policy wants the answer buffered instead of streamed. */
  [BUFFERING]: BufferRequest | undefined;
  /** The client's head as written straight from the upstream's (for the request log). */
  [SENT_HEADERS]: readonly string[] | undefined;
  /** Set when inspect.bodies is on: the forward shows it the bodies. */
  [BODY_TAP]: BodyTap | undefined;
  /** The writable side of `ctx.outcome` (the same object): who answered, why, and markers. */
  readonly [OUTCOME]: RequestOutcome;
}

/** The slots of a fresh context over its `outcome` object (tests build contexts with it). */
export function emptyForwardState(outcome: RequestOutcome): ForwardState {
  return {
    [HEAD_EDITS]: undefined,
    [UPSTREAM_BODY]: undefined,
    [BUFFERING]: undefined,
    [SENT_HEADERS]: undefined,
    [BODY_TAP]: undefined,
    [OUTCOME]: outcome,
  };
}
