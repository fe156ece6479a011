import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { KeptBody } from '../../events/gateway-events.js';
import type { BodyTap } from '../../pipeline/hooks.js';

/** What every capture of one config shares: built once per config load, not per request. */
export interface CaptureLimits {
  readonly maxBodyBytes: number;
  readonly redact: readonly string[];
}

/** Where sealed bodies go: `size` bytes at `slab[offset]` (inspect-store.ts hands out shared slabs). */
export interface SealedSpace {
  slab: Buffer;
  offset: number;
}
export type TakeSpace = (size: number) => SealedSpace;

/** A body seen by reference as it goes by: its chunks until sealed, then a place in a slab. */
interface Side {
  /** The chunks held (at most maxBytes in all); undefined until the first and once sealed. */
  chunks: Buffer[] | undefined;
  /** Bytes held (at most maxBytes). */
  held: number;
  /** Bytes that went by in all. */
  size: number;
  /** The slab the held bytes were copied into when sealed; undefined without a body, or dropped. */
  slab: Buffer | undefined;
  offset: number;
}

const newSide = (): Side => ({ chunks: undefined, held: 0, size: 0, slab: undefined, offset: 0 });

/**
 * The bodies of one request, seen by the forward through its tap (hooks.ts tapBodies) and kept by
 * the inspect store once the request is done (the last 250 requests). Each kept capture outlives a
 * young-generation collection or two, so it is kept small: one object and one small record per
 * body, chunks held by reference until the request is done (the chunk that crosses maxBodyBytes
 * cut with a view, not copied), then copied into the store's slabs (a kept body holds no socket
 * read buffer alive). A body's Buffer is made only when something reads it (the detail view,
 * HAR, curl). Nothing here runs unless inspect.bodies is on.
 */
export class BodyCapture implements BodyTap {
  readonly clientUrl: string;
  readonly clientHeaders: readonly string[];
  readonly secure: boolean;
  readonly redact: readonly string[];
  kept = true;
  /** Bytes this request keeps once sealed (both bodies); the inspect store counts them. */
  keptBytes = 0;
  private readonly maxBytes: number;
  private readonly sent: Side = newSide();
  private readonly answered: Side = newSide();
  private done = false;

  constructor(req: IncomingMessage, limits: CaptureLimits) {
    this.maxBytes = limits.maxBodyBytes;
    this.clientUrl = req.url ?? '/';
    // The client's head as it came, before gw added forwarding headers (copy-as-curl, replay).
    this.clientHeaders = req.rawHeaders;
    this.secure = (req.socket as Partial<TLSSocket> | null)?.encrypted === true;
    this.redact = limits.redact;
  }

  /** Made on first read: only a request with a streamed body needs this listener. */
  private requestListener: ((chunk: Buffer) => void) | undefined = undefined;
  private answerListener: ((chunk: Buffer) => void) | undefined = undefined;

  /** The client's body chunks as the forward relays them. */
  get onRequestChunk(): (chunk: Buffer) => void {
    return (this.requestListener ??= (chunk) => this.add(this.sent, chunk));
  }

  get onAnswerChunk(): (chunk: Buffer) => void {
    return (this.answerListener ??= (chunk) => this.add(this.answered, chunk));
  }

  /** A body sent whole from memory, perhaps again by a retry: it replaces what was there. */
  requestBody(body: Buffer): void {
    this.replace(this.sent, body);
  }

  answerBody(body: Buffer): void {
    this.replace(this.answered, body);
  }

  get request(): KeptBody {
    return view(this.sent);
  }

  get answer(): KeptBody {
    return view(this.answered);
  }

  /** Copies both bodies into space `take` gives (the store's slabs); returns the bytes kept. */
  seal(take: TakeSpace): number {
    if (this.done) return this.keptBytes;
    this.done = true;
    this.keptBytes = sealSide(this.sent, take) + sealSide(this.answered, take);
    return this.keptBytes;
  }

  /** Lets the bodies go (the memory bound needs the room); sizes stay known. */
  drop(): void {
    this.done = true;
    this.kept = false;
    for (const side of [this.sent, this.answered]) {
      side.chunks = undefined;
      side.slab = undefined;
    }
  }

  private add(side: Side, chunk: Buffer): void {
    if (this.done) return;
    side.size += chunk.length;
    const room = this.maxBytes - side.held;
    if (room <= 0) return;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    if (side.chunks) side.chunks.push(part);
    else side.chunks = [part];
    side.held += part.length;
  }

  private replace(side: Side, body: Buffer): void {
    if (this.done) return;
    side.chunks = undefined;
    side.held = 0;
    side.size = 0;
    this.add(side, body);
  }
}

function sealSide(side: Side, take: TakeSpace): number {
  const chunks = side.chunks;
  side.chunks = undefined;
  if (!chunks) return 0;
  const space = take(side.held);
  let at = space.offset;
  for (const chunk of chunks) {
    space.slab.set(chunk, at);
    at += chunk.length;
  }
  side.slab = space.slab;
  side.offset = space.offset;
  return side.held;
}

/** What the views read of a body: its bytes once sealed (undefined without a body, or dropped). */
function view(side: Side): KeptBody {
  const { slab } = side;
  return {
    bytes: slab === undefined ? undefined : slab.subarray(side.offset, side.offset + side.held),
    size: side.size,
  };
}
