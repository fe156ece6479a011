import type { OutgoingHttpHeader, OutgoingHttpHeaders } from 'node:http';
import http2 from 'node:http2';
import { GatewayError } from '../../errors.js';
import type { GatewayHttp2Request } from './http2-request.js';

/**
 * Connection-specific fields an HTTP/2 message must not carry (RFC 9113 §8.2.2: an intermediary
 * "MUST remove" them); Node's HTTP/2 layer throws on all but Connection, which it drops with a
 * process warning. gw sets `Connection: close` on refusals that end an HTTP/1.1 connection.
 */
const connectionSpecific = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

function allowed(name: string): boolean {
  return !connectionSpecific.has(lowerCase(name));
}

/**
 * A field name in lower case: the name itself when it is already (most are), since toLowerCase()
 * returns a new copy even then, and a relayed head or trailer section asks for each name twice.
 */
function lowerCase(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if ((code >= 65 && code <= 90) || code > 127) return name.toLowerCase();
  }
  return name;
}

/** Fields that never go in trailers: pseudo-headers and connection-specific ones. */
function allowedInTrailers(name: string): boolean {
  return name.charCodeAt(0) !== 58 /* : */ && allowed(name);
}

/** Trailers that need no conversion: lower-case names allowed in trailers, string values. */
function relayable(trailers: OutgoingHttpHeaders): boolean {
  for (const name in trailers) {
    if (typeof trailers[name] !== 'string' || !allowedInTrailers(name)) return false;
    for (let i = 0; i < name.length; i++) {
      const code = name.charCodeAt(i);
      if (code >= 65 && code <= 90) return false; // A-Z
    }
  }
  return true;
}

/** What sends a 1xx on a response whose connection is not an HTTP/1.1 byte stream. */
export interface InterimWriter {
  writeInterim(status: number, rawHeaders: readonly string[]): boolean;
}

/**
 * An HTTP/2 answer with the surface the pipeline uses on an HTTP/1.1 `ServerResponse`, so the
 * same forward, policies and problem answers write to either:
 * - connection-specific headers are dropped rather than thrown on (RFC 9113 §8.2.2);
 * - trailers can follow any body (`chunkedEncoding`, `useChunkedEncodingByDefault`), and
 *   `addTrailers` takes the [name, value] pairs the HTTP/1.1 response takes;
 * - 1xx answers go out as HEADERS frames (`writeInterim`);
 * - there is no socket to hand over: an upgrade is an HTTP/1.1 affair (WebSockets over HTTP/2,
 *   RFC 8441, are answered before they reach the pipeline).
 */
export class GatewayHttp2Response
  extends http2.Http2ServerResponse<GatewayHttp2Request>
  implements InterimWriter
{
  /** HTTP/2 frames every body, so an answer can always end with trailers (RFC 9113 §8.1). */
  chunkedEncoding = true;
  useChunkedEncodingByDefault = true;
  /** The session outlives each stream; GOAWAY, not a header, ends it. */
  shouldKeepAlive = true;
  strictContentLength = false;
  readonly maxRequestsOnConnectionReached = false;

  override setHeader(name: string, value: number | string | readonly string[]): this {
    if (allowed(name)) super.setHeader(name, value);
    return this;
  }

  override appendHeader(name: string, value: string | readonly string[]): this {
    if (allowed(name)) super.appendHeader(name, typeof value === 'string' ? value : [...value]);
    return this;
  }

  override writeHead(
    statusCode: number,
    reasonOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
    headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): this {
    // A reason phrase does not exist in HTTP/2 (RFC 9113 §8.3.2).
    const given = typeof reasonOrHeaders === 'string' ? headers : reasonOrHeaders;
    if (given === undefined) return super.writeHead(statusCode);
    if (isFlatList(given) && !this.headersSent && !this.stream.destroyed && !this.stream.closed) {
      // The forward's flat [name, value, …] list (every relayed answer): set field by field, as
      // writeHead would with an object, without building that object first.
      this.setListed(given);
      return super.writeHead(statusCode);
    }
    return super.writeHead(statusCode, withoutConnectionFields(given));
  }

  /** A flat list's fields over those already set: a name listed again adds a value (Set-Cookie). */
  private setListed(list: readonly string[]): void {
    for (let i = 0; i < list.length; i += 2) {
      const name = lowerCase(list[i]!);
      if (!allowed(name)) continue;
      const value = list[i + 1]!;
      const previous = listedBefore(list, i, name) ? this.getHeader(name) : undefined;
      if (previous === undefined) super.setHeader(name, value);
      else super.setHeader(name, [...(Array.isArray(previous) ? previous : [String(previous)]), value]);
    }
  }

  override addTrailers(trailers: OutgoingHttpHeaders | ReadonlyArray<[string, string]>): void {
    // The usual case, an upstream's trailers relayed as an object of lower-case names and string
    // values that may all go (a gRPC status): handed on as they are, without a copy.
    if (!Array.isArray(trailers) && relayable(trailers as OutgoingHttpHeaders)) {
      super.addTrailers(trailers as OutgoingHttpHeaders);
      return;
    }
    const fields: Record<string, string | string[]> = {};
    const add = (name: string, value: string | number | readonly string[]) => {
      if (!allowedInTrailers(name)) return;
      const key = lowerCase(name);
      const values = typeof value === 'object' ? [...value] : [String(value)];
      const previous = fields[key];
      fields[key] =
        previous === undefined ? (values.length === 1 ? values[0]! : values) : [previous, values].flat();
    };
    if (Array.isArray(trailers))
      for (const [name, value] of trailers as ReadonlyArray<[string, string]>) add(name, value);
    else {
      const object = trailers as OutgoingHttpHeaders;
      for (const name of Object.keys(object)) if (object[name] !== undefined) add(name, object[name]);
    }
    super.addTrailers(fields);
  }

  /** Any 1xx (100, 102, 103 …) as an interim HEADERS frame; false once the final head went out. */
  writeInterim(status: number, rawHeaders: readonly string[]): boolean {
    if (this.headersSent || this.stream.destroyed || this.stream.closed) return false;
    const fields: OutgoingHttpHeaders = { ':status': status };
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = lowerCase(rawHeaders[i]!);
      if (!allowedInTrailers(name)) continue;
      const previous = fields[name];
      fields[name] =
        previous === undefined ? rawHeaders[i + 1]! : [String(previous), rawHeaders[i + 1]!].flat();
    }
    this.stream.additionalHeaders(fields);
    return true;
  }

  override setTimeout(msecs: number, callback?: () => void): this {
    super.setTimeout(msecs, callback);
    return this;
  }

  setHeaders(headers: Headers | Map<string, number | string | readonly string[]>): this {
    for (const [name, value] of headers) this.setHeader(name, value);
    return this;
  }

  flushHeaders(): void {
    if (!this.headersSent) this.writeHead(this.statusCode);
  }

  writeProcessing(): void {
    this.writeInterim(102, []);
  }

  assignSocket(): void {
    throw noSocket();
  }

  detachSocket(): void {
    throw noSocket();
  }
}

/**
 * Node's compatibility response reports a stream the client reset as finished (it ends the
 * writable side as it closes the stream), and emits 'finish' for it too. The forward reads
 * `writableFinished` on 'close' to tell a delivered answer from an abandoned one, whose upstream
 * request it must cut: an answer is finished only when its stream closed without a reset.
 * (Defined on the prototype: the type declares it as a field, which a subclass may not turn into
 * an accessor.)
 */
const finishedOf = Object.getOwnPropertyDescriptor(
  http2.Http2ServerResponse.prototype,
  'writableFinished',
)!.get!;
Object.defineProperty(GatewayHttp2Response.prototype, 'writableFinished', {
  get(this: GatewayHttp2Response): boolean {
    const stream = this.stream;
    const code = stream.rstCode;
    return (
      (finishedOf.call(this) as boolean) &&
      !stream.aborted &&
      (code === undefined || code === http2.constants.NGHTTP2_NO_ERROR)
    );
  },
});

function noSocket(): GatewayError {
  return new GatewayError('GW_INTERNAL', 'An HTTP/2 stream has no socket of its own to hand over');
}

/** A flat [name, value, …] list of strings, as the forward writes (not [name, value] pairs). */
function isFlatList(headers: OutgoingHttpHeaders | OutgoingHttpHeader[]): headers is string[] {
  if (!Array.isArray(headers)) return false;
  for (const item of headers) if (typeof item !== 'string') return false;
  return headers.length % 2 === 0;
}

/** Whether a list names `name` (lower-case) before position `end`. */
function listedBefore(list: readonly string[], end: number, name: string): boolean {
  for (let i = 0; i < end; i += 2) {
    const listed = list[i]!;
    if (listed.length === name.length && lowerCase(listed) === name) return true;
  }
  return false;
}

/**
 * The head without connection-specific fields, as an object (a flat [name, value, …] list, which
 * the forward writes, becomes one with repeated names as arrays: Set-Cookie stays several fields).
 */
function withoutConnectionFields(headers: OutgoingHttpHeaders | OutgoingHttpHeader[]): OutgoingHttpHeaders {
  const object: OutgoingHttpHeaders = {};
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      const name = lowerCase(String(headers[i]));
      if (!allowed(name)) continue;
      const value = headers[i + 1]!;
      const previous = object[name];
      object[name] = previous === undefined ? value : [previous, value].flat().map(String);
    }
    return object;
  }
  for (const name of Object.keys(headers))
    if (allowed(name)) object[name] = (headers as OutgoingHttpHeaders)[name];
  return object;
}
