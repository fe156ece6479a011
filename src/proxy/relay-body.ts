import type { IncomingMessage, ServerResponse } from 'node:http';
import { countRelayed } from './bulk-transfer.js';
import { pairsOf } from './forward-headers.js';

/**
 * Streams an upstream answer's body to the client: what `proxyRes.pipe(res)` does in this one
 * case (the client's backpressure pauses the upstream, the end ends the answer), with three
 * listeners instead of the eight that pipe sets up and tears down on every request (listener
 * bookkeeping was the largest Node-side cost left per request, issue 7). An upstream that dies
 * mid-body must not leave the client waiting for bytes that never come: its response is
 * destroyed. `touch` is called on every chunk and every drain (the idle clock of the forward).
 * A client that goes away is the forward's to handle (it destroys the upstream request).
 * `seen`, when body inspection is on, gets each chunk from the same listener. A large body
 * holds V8's heap growth while it lasts (bulk-transfer.ts).
 */
export function relayBody(
  proxyRes: IncomingMessage,
  res: ServerResponse,
  touch: () => void,
  seen?: (chunk: Buffer) => void,
): void {
  const resume = () => {
    touch();
    proxyRes.resume();
  };
  let relayed = 0;
  proxyRes.on('data', (chunk: Buffer) => {
    touch();
    relayed = countRelayed(relayed, chunk.length, res);
    seen?.(chunk);
    if (!res.write(chunk)) {
      proxyRes.pause();
      res.once('drain', resume);
    }
  });
  proxyRes.on('end', () => {
    // Response trailers (RFC 9110 §6.5) follow the body; the answer went out chunked because the
    // upstream's did (trailers need chunked framing, and its Trailer field was kept).
    const trailers = proxyRes.rawTrailers;
    if (trailers.length > 0 && res.chunkedEncoding) res.addTrailers(pairsOf(trailers));
    res.end();
  });
  // 'close' comes after 'end' too, when the answer came whole.
  proxyRes.on('close', () => {
    if (!proxyRes.complete) res.destroy();
  });
}
