import type { KeptBody } from '../../events/gateway-events.js';
import { decodeBody, INFLATE_FACTOR } from './decode-body.js';
import { redactForm, redactJson, redactJsonText } from './redact-body.js';

/** A kept body as shown or exported: decoded, redacted, as text (pretty JSON) or base64. */
export interface ShownBody {
  /** Bytes that went by in all. */
  size: number;
  /** Bytes kept (the first maxBodyBytes). */
  keptBytes: number;
  /** True when only the first keptBytes of `size` were kept. */
  truncated: boolean;
  mimeType: string;
  /** The content coding undone for display ('gzip', 'br', 'deflate'). */
  decoded?: string;
  /** Text bodies: the decoded text, redacted (JSON pretty-printed when asked). */
  text?: string;
  /** Other bodies: the decoded bytes in base64 (never redacted: there are no fields to find). */
  base64?: string;
  /** Why it is shown as it is, when it is not shown plainly. */
  note?: string;
}

export interface ShowOptions {
  contentType: string | undefined;
  contentEncoding: string | undefined;
  redact: ReadonlySet<string>;
  /** Pretty-print JSON (display); off keeps the text as sent unless a field was masked (export). */
  pretty: boolean;
}

const textual =
  /^(?:text\/|application\/(?:[\w.+-]*\+)?(?:json|xml|javascript|x-www-form-urlencoded|graphql|yaml|x-ndjson)\b)/i;
const jsonType = /^application\/(?:[\w.+-]*\+)?json\b|^application\/x-ndjson\b/i;
const formType = /^application\/x-www-form-urlencoded\b/i;

/** Undefined when there was no body at all. */
export function showBody(kept: KeptBody, options: ShowOptions): ShownBody | undefined {
  if (kept.size === 0) return undefined;
  const bytes = kept.bytes;
  const mimeType = options.contentType ?? '';
  const base = {
    size: kept.size,
    keptBytes: bytes?.length ?? 0,
    truncated: bytes === undefined || bytes.length < kept.size,
    mimeType,
  };
  if (bytes === undefined)
    return { ...base, note: 'no longer kept (inspect.maxTotalBytes made room for newer requests)' };
  const decoded = decodeBody(bytes, options.contentEncoding, Math.max(bytes.length, 1) * INFLATE_FACTOR);
  const shown: ShownBody = { ...base };
  if (decoded.decoded) shown.decoded = decoded.decoded;
  if (decoded.note) shown.note = decoded.note;
  const isText =
    decoded.decoded !== undefined || decoded.note === undefined
      ? looksTextual(mimeType, decoded.bytes)
      : false;
  if (!isText) {
    shown.base64 = decoded.bytes.toString('base64');
    return shown;
  }
  shown.text = redactText(decoded.bytes.toString('utf8'), mimeType, options, !base.truncated);
  return shown;
}

function looksTextual(mimeType: string, bytes: Buffer): boolean {
  if (textual.test(mimeType)) return true;
  if (mimeType !== '') return false;
  // No Content-Type: text if it is valid UTF-8 with no control bytes but whitespace.
  // eslint-disable-next-line no-control-regex -- control bytes are what mark binary
  return !/[\x00-\x08\x0e-\x1f]/.test(bytes.toString('latin1')) && isUtf8(bytes);
}

function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

function redactText(text: string, mimeType: string, options: ShowOptions, whole: boolean): string {
  const names = options.redact;
  if (formType.test(mimeType)) return redactForm(text, names);
  const json = jsonType.test(mimeType) || (mimeType === '' && /^\s*[[{]/.test(text));
  if (!json) return names.size === 0 ? text : redactJsonText(text, names);
  if (whole) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (options.pretty) return JSON.stringify(redactJson(parsed, names), null, 2);
      // Export keeps the text as sent unless a field had to be masked.
      const masked = redactJson(parsed, names);
      return JSON.stringify(masked) === JSON.stringify(parsed) ? text : JSON.stringify(masked);
    } catch {
      // Not JSON after all (or NDJSON): masked as text below.
    }
  }
  return redactJsonText(text, names);
}
