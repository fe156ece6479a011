import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { IncomingHttpHeaders } from 'node:http';

/** application/json and every `+json` type (problem+json, vnd.api+json …). */
export function isJsonType(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  if (typeof type !== 'string') return false;
  const essence = type.split(';', 1)[0]!.trim().toLowerCase();
  return essence === 'application/json' || essence.endsWith('+json');
}

const decoders: Record<string, (body: Buffer) => Buffer> = {
  gzip: gunzipSync,
  'x-gzip': gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
};

/**
 * The body with its Content-Encoding undone; undefined when the coding is one gw cannot decode
 * (the body then passes through untouched). Throws when the bytes do not decode.
 */
export function decodeBody(body: Buffer, headers: IncomingHttpHeaders): Buffer | undefined {
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
  for (const step of steps) {
    const decode = decoders[step];
    if (!decode) return undefined;
    decoded = decode(decoded);
  }
  return decoded;
}

/** JSON.parse that reports failure instead of throwing. */
export function parseJson(text: Buffer): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text.toString('utf8')) as unknown };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

export function serializeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
}
