import { validateHeaderName, validateHeaderValue, type IncomingHttpHeaders } from 'node:http';
import type { HeaderValue } from './middleware-context.js';

/**
 * Checks on what a `use` middleware hands gw, made where the middleware calls, so that a bad
 * value fails in the middleware (500 naming it) instead of later, where Node would throw while
 * writing a head.
 */

/** Framing is gw's to set: a middleware's Content-Length would contradict the body actually sent. */
const framingHeaders = new Set(['content-length', 'transfer-encoding']);

export function headerNameOf(name: string): string {
  validateHeaderName(name);
  const lower = name.toLowerCase();
  if (framingHeaders.has(lower)) {
    throw new TypeError(`${name} is set by gw from the body; replace the body (c.body.replace) instead`);
  }
  return lower;
}

export function checkedValue(name: string, value: HeaderValue): string | string[] {
  if (typeof value === 'string') {
    validateHeaderValue(name, value);
    return value;
  }
  for (const item of value) validateHeaderValue(name, item);
  return [...value];
}

export function toBuffer(body: string | Uint8Array | undefined): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

export function checkStatus(status: number): number {
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new TypeError(`${status} is not a final HTTP status (an integer from 200 to 599)`);
  }
  return status;
}

/** Node refuses to write a head with a bad name or value; find it here, where it can be reported. */
export function checkHeaders(headers: IncomingHttpHeaders): void {
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    validateHeaderName(name);
    checkedValue(name, value);
  }
}
