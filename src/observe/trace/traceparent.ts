/**
 * The `traceparent` header of W3C Trace Context (https://www.w3.org/TR/trace-context/#traceparent-header):
 * `version-traceid-parentid-flags`, e.g. `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`.
 * A handful of string checks, no regular expression: this runs on every request.
 */
export interface ParentContext {
  readonly traceId: string;
  readonly parentId: string;
  /** Only the sampled bit (01) survives: version 00 defines no other flag, and unknown ones go as 0. */
  readonly sampled: boolean;
}

/** Version 00 is exactly this long; a later version is at least this long (§3.2.4). */
const VERSION_00_LENGTH = 55;

/** Lowercase hex only (HEXDIGLC): an uppercase id is invalid, as the spec's test suite checks. */
function isLowerHex(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function isAllZero(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) !== 48) return false;
  return true;
}

/**
 * The caller's trace, or undefined when the header is not one gw may continue: a wrong length or
 * separator, non-hex or uppercase digits, version ff, an all-zero trace or parent id. Two
 * traceparent headers arrive joined by a comma and fail the length check, as §3.2 asks. A later
 * version is read by the version 00 layout when a dash or the end follows the flags (§3.2.4).
 */
export function parseTraceparent(header: string): ParentContext | undefined {
  const length = header.length;
  if (length < VERSION_00_LENGTH) return undefined;
  if (header.charCodeAt(2) !== 45 || header.charCodeAt(35) !== 45 || header.charCodeAt(52) !== 45)
    return undefined;
  if (!isLowerHex(header, 0, 2) || header.startsWith('ff')) return undefined;
  if (header.startsWith('00') ? length !== VERSION_00_LENGTH : length > 55 && header.charCodeAt(55) !== 45)
    return undefined;
  if (!isLowerHex(header, 3, 35) || isAllZero(header, 3, 35)) return undefined;
  if (!isLowerHex(header, 36, 52) || isAllZero(header, 36, 52)) return undefined;
  if (!isLowerHex(header, 53, 55)) return undefined;
  return {
    traceId: header.slice(3, 35),
    parentId: header.slice(36, 52),
    sampled: (parseInt(header.slice(53, 55), 16) & 1) === 1,
  };
}

/** The version 00 header naming `spanId` as the parent of whatever the upstream does next. */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}
