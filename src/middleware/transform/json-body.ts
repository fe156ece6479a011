import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, type BrotliOptions, type ZlibOptions } from 'node:zlib';
import type { IncomingHttpHeaders } from 'node:http';

/** application/json and every `+json` type (problem+json, vnd.api+json …). */
export function isJsonType(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  if (typeof type !== 'string') return false;
  const essence = type.split(';', 1)[0]!.trim().toLowerCase();
  return essence === 'application/json' || essence.endsWith('+json');
}

type Decoder = (body: Buffer, options: ZlibOptions | BrotliOptions) => Promise<Buffer>;

const decoders: Record<string, Decoder> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

/** Thrown when a body inflates past the cap: a decompression bomb, or a body simply too big. */
export class InflateLimitExceeded extends Error {
  override readonly name = 'InflateLimitExceeded';
  constructor(readonly limit: number) {
    super(`the body inflates to more than ${limit} bytes`);
  }
}

/**
 * The body with its Content-Encoding undone; undefined when the coding is one gw cannot decode
 * (the body then passes through untouched). Inflation runs on zlib's thread pool, chunk by chunk,
 * and stops once `maxBytes` came out (`maxOutputLength`): a 1 MB gzip of a gigabyte of zeros
 * costs a few milliseconds and `maxBytes` of memory, never the event loop or the gigabyte.
 * Throws InflateLimitExceeded past the cap, and zlib's error when the bytes do not decode.
 */
export async function decodeBody(
  body: Buffer,
  headers: IncomingHttpHeaders,
  maxBytes: number,
): Promise<Buffer | undefined> {
  const coding = headers['content-encoding'];
  if (coding === undefined || coding === '' || coding === 'identity') return body;
  if (typeof coding !== 'string') return undefined;
  let decoded = body;
  // Codings are listed in the order they were applied: undo them from the last.
  const steps = coding
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c && c !== 'identity')
    .reverse();
  if (steps.some((step) => !decoders[step])) return undefined;
  for (const step of steps) {
    try {
      decoded = await decoders[step]!(decoded, { maxOutputLength: maxBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        throw new InflateLimitExceeded(maxBytes);
      throw error;
    }
  }
  return decoded;
}

/**
 * Deepest nesting a parsed body may have. Real APIs stay far below it; a body of 200,000 `[`
 * would parse, then overflow the stack of whatever walks it (a transform, JSON.stringify) and
 * look like the transform's fault.
 */
export const MAX_JSON_DEPTH = 256;

/** Whether the JSON text nests arrays/objects deeper than `max` (brackets inside strings skipped). */
export function nestsDeeperThan(text: Buffer, max: number): boolean {
  // Each level takes at least one byte: a short body cannot be too deep.
  if (text.length <= max) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === 0x22 /* " */) {
      // Skip the string, escapes included.
      for (i++; i < text.length; i++) {
        const s = text[i];
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return false;
}

/** JSON.parse that reports failure instead of throwing; nesting past MAX_JSON_DEPTH is a failure too. */
export function parseJson(text: Buffer): { ok: true; value: unknown } | { ok: false; message: string } {
  if (nestsDeeperThan(text, MAX_JSON_DEPTH))
    return { ok: false, message: `it nests deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    return { ok: true, value: JSON.parse(text.toString('utf8')) as unknown };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

export function serializeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
}
