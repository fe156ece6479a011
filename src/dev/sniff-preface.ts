import type { Socket } from 'node:net';

/** What every HTTP/2 client sends first on a cleartext connection (RFC 9113 §3.4). */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface PrefaceRoutes {
  http1(socket: Socket): void;
  http2(socket: Socket): void;
}

/**
 * Reads a new connection's first bytes, puts them back (`unshift`) and hands the socket to the
 * HTTP/2 server when they are the connection preface, else to the HTTP/1.1 one. Both servers read
 * bytes already buffered on a socket they are given: the HTTP/1.1 parser through its 'data'
 * listener, the HTTP/2 session on its first tick (nodejs/node#34532). Node has no cleartext
 * `allowHTTP1`, and httpolyglot does the same. The cost is once per connection, never per
 * request: most HTTP/1.1 requests are told apart by their first byte (only P… methods need a
 * second). A connection that sends nothing is closed after `timeoutMs`, as the HTTP/1.1 server's
 * headersTimeout would have done.
 */
export function sniffPreface(socket: Socket, timeoutMs: number, routes: PrefaceRoutes): void {
  let seen: Buffer | undefined;
  const onTimeout = () => socket.destroy();
  // An error, or a client that hangs up before it said which protocol: nobody to answer.
  const onError = () => socket.destroy();
  const decide = () => {
    let chunk: Buffer | null;
    while ((chunk = socket.read() as Buffer | null) !== null)
      seen = seen ? Buffer.concat([seen, chunk]) : chunk;
    if (seen === undefined) return;
    const length = Math.min(seen.length, PREFACE.length);
    const isPreface = seen.compare(PREFACE, 0, length, 0, length) === 0;
    // Still a prefix of the preface: wait for more.
    if (isPreface && length < PREFACE.length) return;
    socket.off('readable', decide).off('error', onError).off('end', onError).off('timeout', onTimeout);
    socket.setTimeout(0);
    socket.unshift(seen);
    if (isPreface) routes.http2(socket);
    else routes.http1(socket);
  };
  socket.setTimeout(timeoutMs, onTimeout);
  socket.on('error', onError);
  socket.on('end', onError);
  socket.on('readable', decide);
}
