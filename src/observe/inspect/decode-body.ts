import zlib from 'node:zlib';

/** How much a kept body may inflate to when decoded for display: a zip bomb stays a small string. */
export const INFLATE_FACTOR = 16;

export interface DecodedBody {
  bytes: Buffer;
  /** The content coding that was undone ('gzip', 'br', 'deflate'), if any. */
  decoded?: string;
  /** Why the bytes are shown as they came (an unknown coding, a cut stream, over the cap). */
  note?: string;
}

/**
 * Undoes the body's Content-Encoding for display and export, never on the hot path. A cut body
 * (kept up to maxBodyBytes) decodes as far as it goes (a sync flush instead of an error at the
 * missing end); output past `maxBytes` is refused (zlib's maxOutputLength), and the bytes are then
 * shown as they came.
 */
export function decodeBody(
  bytes: Buffer,
  contentEncoding: string | undefined,
  maxBytes: number,
): DecodedBody {
  const coding = contentEncoding?.trim().toLowerCase();
  if (!coding || coding === 'identity' || bytes.length === 0) return { bytes };
  try {
    switch (coding) {
      case 'gzip':
      case 'x-gzip':
        return {
          bytes: zlib.gunzipSync(bytes, {
            finishFlush: zlib.constants.Z_SYNC_FLUSH,
            maxOutputLength: maxBytes,
          }),
          decoded: 'gzip',
        };
      case 'deflate':
        // RFC 9110 §8.4.1.2 means zlib-wrapped; some servers send raw deflate: the zlib header says which.
        return {
          bytes: (isZlibWrapped(bytes) ? zlib.inflateSync : zlib.inflateRawSync)(bytes, {
            finishFlush: zlib.constants.Z_SYNC_FLUSH,
            maxOutputLength: maxBytes,
          }),
          decoded: 'deflate',
        };
      case 'br':
        return {
          bytes: zlib.brotliDecompressSync(bytes, {
            finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
            maxOutputLength: maxBytes,
          }),
          decoded: 'br',
        };
      default:
        return { bytes, note: `content-encoding ${coding} is shown as it came` };
    }
  } catch (error) {
    const tooLarge = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    return {
      bytes,
      note: tooLarge
        ? `decoded it would pass ${maxBytes} bytes: shown ${coding}-encoded`
        : `could not be decoded as ${coding}: shown as it came`,
    };
  }
}

function isZlibWrapped(bytes: Buffer): boolean {
  return bytes.length >= 2 && (bytes[0]! & 0x0f) === 8 && ((bytes[0]! << 8) | bytes[1]!) % 31 === 0;
}
