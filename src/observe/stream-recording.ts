import type { IncomingHttpHeaders } from 'node:http';
import { encodeBody, type RecordedChunk, type Recording } from './recording.js';

/**
 * Streamed answers in recordings (issue 17, item 3: "streaming answers are recorded with their
 * timing and replayed with it"): an event stream, NDJSON, or any answer that comes without a
 * Content-Length streams on to the client while its chunks are kept, each with its time after
 * the head, so replay can send the same bytes with the same spacing.
 */

/** Content types that are streams by nature, whatever their framing. */
const streamTypes =
  /^(?:text\/event-stream|application\/(?:x-)?ndjson|application\/(?:x-)?jsonl(?:ines)?|application\/json-seq|application\/stream\+json|multipart\/x-mixed-replace)\b/i;

function isStreamType(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && streamTypes.test(type);
}

/**
 * Whether an answer streams to the client and is recorded chunk by chunk, rather than buffered
 * whole: a stream type, or a body of unknown length. 1xx, 204 and 304 have no body.
 */
export function isStreamedAnswer(status: number, headers: IncomingHttpHeaders): boolean {
  if (status < 200 || status === 204 || status === 304) return false;
  return isStreamType(headers) || headers['content-length'] === undefined;
}

/**
 * Chunks that come within this many ms of the first of their group are kept as one: the pieces
 * one write arrives in (a large JSON answer read in several socket reads) are not worth a timed
 * entry each; real streams space their chunks further apart.
 */
const SAME_CHUNK_MS = 2;

export interface StreamLimits {
  /** Bytes kept at most; the chunks after them are not (the answer itself goes on). */
  maxBytes: number;
  /** Chunks kept at most: each one costs an object in memory and a line in the file. */
  maxChunks: number;
}

/** What a streamed answer adds to its recording's `response`. */
export type StreamedResponse = Pick<Recording['response'], 'body' | 'chunks' | 'endedAt' | 'cut'>;

/**
 * Collects a streamed answer's chunks as they are relayed. `add` returns false once the answer
 * outgrew the limits (the recording is then cut: the caller writes what it holds at once).
 */
export interface StreamCapture {
  add(chunk: Buffer): boolean;
  /**
   * The timed chunks, when and why (`cut`) the answer ended. An answer that is no stream type
   * and came whole in one go (a JSON answer sent chunked) is kept as a whole body instead,
   * readable as any other, and replays with its length.
   */
  finish(cut: string | undefined): StreamedResponse;
}

function sizeOf(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${Math.round(mb * 10) / 10} MB` : `${bytes} bytes`;
}

export function captureStream(
  headers: IncomingHttpHeaders,
  limits: StreamLimits,
  now: () => number = () => performance.now(),
): StreamCapture {
  const startedAt = now();
  const groups: Array<{ at: number; startedAt: number; parts: Buffer[] }> = [];
  let size = 0;
  let capped: string | undefined;
  const binary = headers['content-encoding'] !== undefined && headers['content-encoding'] !== 'identity';
  return {
    add(chunk) {
      if (capped) return false;
      if (size + chunk.length > limits.maxBytes) {
        capped = `the answer is longer than ${sizeOf(limits.maxBytes)}: the first ${size} bytes are kept`;
        return false;
      }
      const time = now();
      const last = groups.at(-1);
      if (last && time - last.startedAt < SAME_CHUNK_MS) last.parts.push(chunk);
      else if (groups.length === limits.maxChunks) {
        capped = `the answer has more than ${limits.maxChunks} chunks: the first ${groups.length} are kept`;
        return false;
      } else groups.push({ at: Math.round(time - startedAt), startedAt: time, parts: [chunk] });
      size += chunk.length;
      return true;
    },
    finish(cut) {
      const reason = capped ?? cut;
      const endedAt = Math.round(now() - startedAt);
      const joined = groups.map(({ at, parts }) => ({ at, bytes: Buffer.concat(parts) }));
      if (reason === undefined && joined.length <= 1 && !isStreamType(headers)) {
        return { body: encodeBody(joined[0]?.bytes ?? Buffer.alloc(0), headers) };
      }
      return {
        chunks: joined.map(({ at, bytes }) => encodeChunk(at, bytes, binary)),
        endedAt,
        ...(reason === undefined ? {} : { cut: reason }),
      };
    },
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function encodeChunk(at: number, bytes: Buffer, binary: boolean): RecordedChunk {
  if (!binary) {
    try {
      return { at, text: utf8.decode(bytes) };
    } catch {
      // Not UTF-8 on its own (binary, or a character split across chunks): base64 below.
    }
  }
  return { at, base64: bytes.toString('base64') };
}

export function decodeChunk(chunk: RecordedChunk): Buffer {
  return 'text' in chunk ? Buffer.from(chunk.text, 'utf8') : Buffer.from(chunk.base64, 'base64');
}

/** Whether a parsed file's `chunks` is a list of { at, text | base64 } (the store checks files). */
export function isChunkList(value: unknown): value is RecordedChunk[] {
  return (
    Array.isArray(value) &&
    value.every(
      (c: unknown) =>
        c !== null &&
        typeof c === 'object' &&
        typeof (c as { at?: unknown }).at === 'number' &&
        (typeof (c as { text?: unknown }).text === 'string' ||
          typeof (c as { base64?: unknown }).base64 === 'string'),
    )
  );
}
