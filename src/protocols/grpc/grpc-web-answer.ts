import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { noteGrpcStatus } from './grpc-outcome.js';
import { createFrameSplitter, trailerFrame } from './grpc-web-codec.js';

/**
 * Turns the gRPC answer written on `res` into a gRPC-Web one, whoever writes it (the forward
 * relaying the upstream, or a refusal): the head says application/grpc-web(-text)+proto and loses
 * Content-Length, the trailers (addTrailers, or the status fields of a trailers-only head) become
 * the body's final 0x80 frame, and in text mode every whole frame goes out as base64. Pages read
 * grpc-status and grpc-message across origins when the route's `cors` answered (they are added to
 * Access-Control-Expose-Headers). An answer that is not gRPC passes unchanged; an upstream's never
 * gets here (the forward makes a 404 page or a 502 a gw refusal, proxy/http2-forward.ts).
 *
 * The response's own write methods are wrapped, once per response: the forward and the refusal
 * renderers keep writing gRPC, and this file alone knows gRPC-Web.
 */
const adapted = new WeakSet<ServerResponse>();

/** Fields of a trailers-only head that belong in the trailer frame. */
const statusFields = ['grpc-status', 'grpc-message', 'grpc-status-details-bin', 'gw-error-code'];

export function adaptGrpcWebAnswer(res: ServerResponse, text: boolean): void {
  if (adapted.has(res)) return;
  adapted.add(res);
  const original = { writeHead: res.writeHead, write: res.write, end: res.end, addTrailers: res.addTrailers };
  const trailers: Record<string, string | string[]> = {};
  const split = text ? createFrameSplitter() : undefined;
  let prepared = false;
  let grpc = false;

  /** Once, before the head leaves: decides whether this is a gRPC answer, and reshapes its head. */
  const prepareHead = () => {
    if (prepared || res.headersSent) return;
    prepared = true;
    grpc = /^application\/grpc/i.test(String(res.getHeader('content-type') ?? ''));
    if (!grpc) return;
    res.setHeader('content-type', text ? 'application/grpc-web-text+proto' : 'application/grpc-web+proto');
    res.removeHeader('content-length');
    for (const name of statusFields) {
      const value = res.getHeader(name);
      if (value === undefined) continue;
      trailers[name] = String(value);
      res.removeHeader(name);
    }
    if (res.getHeader('access-control-allow-origin') !== undefined) {
      const exposed = String(res.getHeader('access-control-expose-headers') ?? '');
      const missing = ['grpc-status', 'grpc-message'].filter((name) => !exposed.toLowerCase().includes(name));
      if (missing.length > 0)
        res.setHeader('access-control-expose-headers', [exposed, ...missing].filter(Boolean).join(', '));
    }
  };

  const encode = (frames: Buffer): Buffer => {
    if (!split) return frames;
    const whole = split(frames);
    return Buffer.from(whole.map((frame) => frame.toString('base64')).join(''), 'latin1');
  };

  const writeHead = function (
    statusCode: number,
    reasonOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
    headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): ServerResponse {
    const given = typeof reasonOrHeaders === 'string' ? headers : reasonOrHeaders;
    if (given !== undefined) setHeaders(res, given);
    prepareHead();
    return original.writeHead.call(res, statusCode);
  };

  const write = function (chunk: unknown, ...rest: unknown[]): boolean {
    prepareHead();
    if (!grpc) return Reflect.apply(original.write, res, [chunk, ...rest]) as boolean;
    const data = encode(toBuffer(chunk));
    const callback = rest.find((arg) => typeof arg === 'function');
    if (data.length === 0) {
      if (typeof callback === 'function') process.nextTick(() => callback());
      return true;
    }
    return Reflect.apply(original.write, res, callback ? [data, callback] : [data]) as boolean;
  };

  const end = function (...args: unknown[]): ServerResponse {
    prepareHead();
    if (!grpc || res.writableEnded) return Reflect.apply(original.end, res, args) as ServerResponse;
    const chunk = typeof args[0] === 'function' ? undefined : args[0];
    const callback = args.find((arg) => typeof arg === 'function');
    const body: Buffer[] = [];
    if (chunk !== undefined && chunk !== null) body.push(encode(toBuffer(chunk)));
    noteGrpcStatus(res, trailers['grpc-status']);
    const last = trailerFrame(trailers);
    body.push(split ? Buffer.from(last.toString('base64'), 'latin1') : last);
    // Written with the response's own write: an HTTP/2 response's end(chunk) goes through
    // this.write, which would encode the encoded bytes again.
    Reflect.apply(original.write, res, [Buffer.concat(body)]);
    return Reflect.apply(original.end, res, callback ? [callback] : []) as ServerResponse;
  };

  const addTrailers = function (given: OutgoingHttpHeaders | ReadonlyArray<[string, string]>): void {
    if (!grpc) return original.addTrailers.call(res, given);
    const pairs: Array<[string, unknown]> = Array.isArray(given) ? [...given] : Object.entries(given);
    for (const [name, value] of pairs) {
      if (value === undefined) continue;
      trailers[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
    }
  };

  res.writeHead = writeHead;
  res.write = write;
  res.end = end;
  res.addTrailers = addTrailers;
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk));
}

/** A head given to writeHead (object, or flat [name, value, …] list) set field by field. */
function setHeaders(res: ServerResponse, headers: OutgoingHttpHeaders | OutgoingHttpHeader[]): void {
  if (!Array.isArray(headers)) {
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value);
    return;
  }
  const grouped = new Map<string, string[]>();
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = String(headers[i]).toLowerCase();
    const values = grouped.get(name) ?? [];
    values.push(String(headers[i + 1]));
    grouped.set(name, values);
  }
  for (const [name, values] of grouped) res.setHeader(name, values.length === 1 ? values[0]! : values);
}
