import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * For a request with `Expect: 100-continue` (the server's 'checkContinue' event, which stops Node
 * from answering 100 at once): says `100 Continue` only when something first reads the body — the
 * forward, or a policy that needs the body — which is after auth, the rate limit and bodyLimit's
 * declared-length check have passed. A refusal before that is the final answer, sent while the
 * client still holds its body back, so a 50 MB upload that auth refuses is never transferred
 * (RFC 9110 §10.1.1); Node then closes the connection rather than read a body nobody wants.
 * The hook sits on this request alone: requests without Expect pay nothing.
 */
export function continueOnFirstRead(req: IncomingMessage, res: ServerResponse): void {
  // The expectation is gw's to meet, never the upstream's.
  req.headers.expect = undefined;
  // The request's own reader: HTTP/1.1's IncomingMessage or the HTTP/2 adapter's.
  const readBody = req._read;
  req._read = function continueThenRead(this: IncomingMessage, size: number): void {
    this._read = readBody;
    // After a final answer a 100 would be read as the start of the next response.
    if (!res.headersSent) res.writeContinue();
    readBody.call(this, size);
  };
}
