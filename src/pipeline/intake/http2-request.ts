import type { IncomingHttpHeaders } from 'node:http';
import http2, { type ServerHttp2Stream } from 'node:http2';
import type { ReadableOptions } from 'node:stream';

const pseudoHeaders = [':method', ':path', ':authority', ':scheme', ':protocol'];
/** One descriptor for every pseudo-header of every request, rather than a literal per call. */
const hidden: PropertyDescriptor = Object.freeze({ enumerable: false });

/**
 * An HTTP/2 request in the shape the pipeline reads from an HTTP/1.1 one, so that no policy asks
 * which protocol it is on. Node's compatibility request is given its header object and raw list
 * already converted, the way an HTTP/2-to-HTTP/1.1 intermediary converts them (RFC 9113 §8.3.1):
 * - `:authority` becomes Host; a Host that names another authority stays as a second Host line,
 *   which the request-head check refuses like any request with two Hosts (RFC 9113 §8.3.1:
 *   "SHOULD treat a request as malformed");
 * - the pseudo-headers stay readable (Node's `method` and `url` read them) but are not
 *   enumerable, so nothing that lists headers (the forward, the logs, policies) sends or shows
 *   them as fields;
 * - a body of unknown length (no END_STREAM on the HEADERS frame and no Content-Length) is
 *   announced as chunked, which is how it travels on an HTTP/1.1 hop and what tells the forward
 *   and bodyLimit that a body follows.
 * Cookie lines are already joined with "; " by Node (RFC 9113 §8.2.3).
 */
export class GatewayHttp2Request extends http2.Http2ServerRequest {
  /** As HTTP/1.1 types them (Node joins repeated trailer fields into one string but Set-Cookie). */
  declare readonly trailers: NodeJS.Dict<string>;

  constructor(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    options: ReadableOptions,
    rawHeaders: readonly string[],
  ) {
    super(stream, headers, options, toHttp1Shape(headers, rawHeaders, stream.endAfterHeaders));
  }

  override setTimeout(msecs: number, callback?: () => void): this {
    super.setTimeout(msecs, callback);
    return this;
  }

  /** HTTP/1.1's per-name lists (`IncomingMessage.headersDistinct`), from the converted raw list. */
  get headersDistinct(): NodeJS.Dict<string[]> {
    return distinct(this.rawHeaders);
  }

  get trailersDistinct(): NodeJS.Dict<string[]> {
    return distinct(this.rawTrailers);
  }
}

/** Converts `headers` in place and returns the matching raw list. */
function toHttp1Shape(
  headers: IncomingHttpHeaders,
  rawHeaders: readonly string[],
  noBody: boolean,
): string[] {
  for (const name of pseudoHeaders) {
    if (headers[name] !== undefined) Object.defineProperty(headers, name, hidden);
  }
  const raw: string[] = [];
  const authority = headers[':authority'];
  const host = headers.host;
  if (typeof authority === 'string') {
    if (host === undefined) headers.host = authority;
    if (host === undefined || host.toLowerCase() !== authority.toLowerCase()) raw.push('host', authority);
  }
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.charCodeAt(0) === 58 /* : */) continue;
    raw.push(name, rawHeaders[i + 1]!);
  }
  if (!noBody && headers['content-length'] === undefined) {
    headers['transfer-encoding'] = 'chunked';
    raw.push('transfer-encoding', 'chunked');
  }
  return raw;
}

function distinct(raw: readonly string[]): NodeJS.Dict<string[]> {
  const lists: NodeJS.Dict<string[]> = {};
  for (let i = 0; i < raw.length; i += 2) (lists[raw[i]!.toLowerCase()] ??= []).push(raw[i + 1]!);
  return lists;
}
