import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { KeptBody } from '../../events/gateway-events.js';
import type { BodyTap } from '../../pipeline/hooks.js';

/** What every capture of one config shares: built once per config load, not per request. */
export interface CaptureLimits {
  readonly maxBodyBytes: number;
  readonly redact: readonly string[];
}

/**
 * One body as it goes by: the chunks themselves, by reference, until `maxBytes` are held (the
 * chunk that crosses the limit is cut with a view, not copied); the bytes past it are only
 * counted. `seal` copies what is held into one buffer of exactly that size (a concat once, when
 * the request is done, into the store's slabs), so a kept body holds no socket read buffer alive.
 */
class BodySide implements KeptBody {
  private chunks: Buffer[] | undefined = undefined;
  private sealed: Buffer | undefined = undefined;
  private done = false;
  /** Bytes held (at most maxBytes). */
  held = 0;
  size = 0;

  constructor(private readonly maxBytes: number) {}

  get bytes(): Buffer | undefined {
    return this.sealed;
  }

  add(chunk: Buffer): void {
    if (this.done) return;
    this.size += chunk.length;
    const room = this.maxBytes - this.held;
    if (room <= 0) return;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    if (this.chunks) this.chunks.push(part);
    else this.chunks = [part];
    this.held += part.length;
  }

  /** A body sent whole from memory, perhaps again by a retry: it replaces what was there. */
  replace(body: Buffer): void {
    if (this.done) return;
    this.chunks = undefined;
    this.held = 0;
    this.size = 0;
    this.add(body);
  }

  /** Copies the held chunks into `take(held)`; returns its size. Later chunks are ignored. */
  seal(take: (size: number) => Buffer): number {
    if (this.done) return this.held;
    this.done = true;
    const chunks = this.chunks;
    this.chunks = undefined;
    if (!chunks) return 0;
    const copy = take(this.held);
    let offset = 0;
    for (const chunk of chunks) offset += chunk.copy(copy, offset);
    this.sealed = copy;
    return this.held;
  }

  drop(): void {
    this.done = true;
    this.chunks = undefined;
    this.sealed = undefined;
  }
}

/**
 * The bodies of one request, seen by the forward through its tap (hooks.ts tapBodies) and kept by
 * the inspect store once the request is done. The listeners are fields, so the forward passes
 * them to `on('data')` as they are; nothing here runs unless inspect.bodies is on.
 */
export class BodyCapture implements BodyTap {
  readonly request: BodySide;
  readonly answer: BodySide;
  readonly clientUrl: string;
  readonly clientHeaders: readonly string[];
  readonly secure: boolean;
  readonly redact: readonly string[];
  kept = true;

  constructor(req: IncomingMessage, limits: CaptureLimits) {
    this.request = new BodySide(limits.maxBodyBytes);
    this.answer = new BodySide(limits.maxBodyBytes);
    this.clientUrl = req.url ?? '/';
    // The client's head as it came, before gw added forwarding headers (copy-as-curl, replay).
    this.clientHeaders = req.rawHeaders;
    this.secure = (req.socket as Partial<TLSSocket> | null)?.encrypted === true;
    this.redact = limits.redact;
  }

  readonly onRequestChunk = (chunk: Buffer): void => this.request.add(chunk);
  private readonly onAnswerChunk = (chunk: Buffer): void => this.answer.add(chunk);

  answerStreams(already: readonly Buffer[], body: Readable): void {
    for (const chunk of already) this.answer.add(chunk);
    body.on('data', this.onAnswerChunk);
  }

  requestBody(body: Buffer): void {
    this.request.replace(body);
  }

  answerBody(body: Buffer): void {
    this.answer.replace(body);
  }

  /** Bytes this request keeps once sealed (both bodies); the inspect store counts them. */
  keptBytes = 0;

  /** Copies both bodies into memory `take` gives (the store's slabs); returns the bytes kept. */
  seal(take: (size: number) => Buffer): number {
    this.keptBytes = this.request.seal(take) + this.answer.seal(take);
    return this.keptBytes;
  }

  /** Lets the bodies go (the memory bound needs the room); sizes stay known. */
  drop(): void {
    this.kept = false;
    this.request.drop();
    this.answer.drop();
  }
}
