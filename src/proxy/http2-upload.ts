import http2, { type ClientHttp2Stream } from 'node:http2';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { ForwardClock } from './forward-clock.js';
import { countRelayed } from './bulk-transfer.js';
import { trailersFor } from './http2-headers.js';

const { NGHTTP2_CANCEL } = http2.constants;

/** What a request body's way upstream needs of its forward (http2-forward.ts). */
export interface Uploader {
  readonly stream: ClientHttp2Stream;
  readonly clock: ForwardClock;
  readonly req: IncomingMessage;
  /** The client's trailers follow the body (not on a gRPC call). */
  readonly withTrailers: boolean;
}

/** The upload a source feeds; its listeners (module functions) find it here through `this`. */
const UPLOAD = Symbol('http2 upload');
interface UploadSource extends Readable {
  [UPLOAD]?: Upload;
}

interface Upload {
  readonly forward: Uploader;
  readonly source: UploadSource;
  /** The source is the client's own body (not a policy's stream). */
  readonly clientBody: boolean;
  /** Bytes of the body sent so far (bulk-transfer.ts). */
  carried: number;
}

/**
 * Streams a body upstream (the upstream's flow control pauses the source); each chunk restarts
 * the upload's idle clock. The client's trailers (a chunked body's last fields) follow it, also
 * when a policy's stream (bodyLimit's counter) carried the body. Three listeners rather than
 * pipe(), which adds seven and removes them again on every call, and module functions rather than
 * closures made per call. A source has one set of listeners, for the forward that uploads from it
 * last. A client that breaks off its body mid-way cancels the upstream stream; a policy's stream
 * that fails takes it down with its error.
 */
export function uploadBody(forward: Uploader, source: UploadSource, clientBody: boolean): void {
  if (forward.withTrailers) forward.stream.once('wantTrailers', () => sendClientTrailers(forward));
  const listening = source[UPLOAD] !== undefined;
  source[UPLOAD] = { forward, source, clientBody, carried: 0 };
  if (listening) return;
  source.on('error', onSourceError);
  source.on('data', onSourceData);
  source.on('end', onSourceEnd);
}

function sendClientTrailers({ stream, req }: Uploader): void {
  stream.sendTrailers(trailersFor(req.trailers));
}

function onSourceData(this: UploadSource, chunk: Buffer): void {
  const upload = this[UPLOAD]!;
  const { forward, source } = upload;
  const { stream, clock } = forward;
  // A call that keeps sending is not idle, also once the answer started (a gRPC client
  // stream whose server sent its head first and answers at the end).
  if (clock.phase === 'upload' || clock.phase === 'body') clock.touch();
  // A stream reset or closed takes no more; the rest of the body is read and dropped.
  if (stream.destroyed || stream.writableEnded) return;
  upload.carried = countRelayed(upload.carried, chunk.length, stream);
  if (!stream.write(chunk)) {
    source.pause();
    stream.once('drain', () => source.resume());
  }
}

function onSourceEnd(this: UploadSource): void {
  const { stream } = this[UPLOAD]!.forward;
  if (!stream.destroyed) stream.end();
}

function onSourceError(this: UploadSource, error: Error): void {
  const { forward, clientBody } = this[UPLOAD]!;
  if (clientBody) forward.stream.close(NGHTTP2_CANCEL);
  else forward.stream.destroy(error);
}
