import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * For a request with `Expect: 100-continue` (the server's 'checkContinue' event, which stops Node
 * from answering 100 at once): says `100 Continue` only when something first reads the body — the
 * forward, or a policy that needs the body — which is after auth, the rate limit and bodyLimit's
 * declared-length check have passed. A refusal before that is the final answer, sent while the
 * client still holds its body back, so a 50 MB upload that auth refuses is never transferred
 * (RFC 9110 §10.1.1); Node then closes the connection rather than read a body nobody wants.
 * A client that sent its body without waiting gets the 100 as the body arrives, as it would
 * directly (the RFC allows leaving it out then, but clients and fidelity expect it).
 * The hook sits on this request alone: requests without Expect pay nothing.
 */
export function continueOnFirstRead(req: IncomingMessage, res: ServerResponse): void {
  // The expectation is gw's to meet, never the upstream's.
  req.headers.expect = undefined;
  // The request's own reader (HTTP/1.1's IncomingMessage or the HTTP/2 adapter's) and the
  // parser's way in for body bytes that arrive before anyone asked for them.
  const readBody = req._read;
  const pushBody = req.push;
  const sayContinue = (stream: IncomingMessage) => {
    stream._read = readBody;
    stream.push = pushBody;
    // After a final answer a 100 would be read as the start of the next response.
    if (!res.headersSent) res.writeContinue();
  };
  req._read = function continueThenRead(this: IncomingMessage, size: number): void {
    sayContinue(this);
    readBody.call(this, size);
  };
  req.push = function continueThenPush(this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding) {
    // The end of an empty body is no sign that the client sent one.
    if (chunk !== null) sayContinue(this);
    return pushBody.call(this, chunk, encoding);
  };
}
