import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Streams an upstream answer's body to the client: what `proxyRes.pipe(res)` does in this one
 * case (the client's backpressure pauses the upstream, the end ends the answer), with three
 * listeners instead of the eight that pipe sets up and tears down on every request (listener
 * bookkeeping was the largest Node-side cost left per request, issue 7). An upstream that dies
 * mid-body must not leave the client waiting for bytes that never come: its response is
 * destroyed. A client that goes away is the forward's to handle (it destroys the upstream request).
 */
export function relayBody(proxyRes: IncomingMessage, res: ServerResponse): void {
  const resume = () => proxyRes.resume();
  proxyRes.on('data', (chunk: Buffer) => {
    if (!res.write(chunk)) {
      proxyRes.pause();
      res.once('drain', resume);
    }
  });
  proxyRes.on('end', () => res.end());
  // 'close' comes after 'end' too, when the answer came whole.
  proxyRes.on('close', () => {
    if (!proxyRes.complete) res.destroy();
  });
}
