import net from 'node:net';

/** One request exactly as it arrived on the wire. */
export interface RawRequest {
  /** Request line and header lines, as sent (CRLFs kept). */
  head: string;
  method: string;
  target: string;
  /** Header lines as [lower-cased name, value], duplicates kept. */
  headers: Array<[string, string]>;
  /** The body after de-chunking (raw bytes when framed by Content-Length). */
  body: string;
  /** Everything after the head, framing included (chunk sizes, the last chunk, trailers). */
  rawBody: string;
  /** Trailer lines of a chunked body, as [lower-cased name, value]. */
  trailers: Array<[string, string]>;
}

export type RawHandler = (request: RawRequest, socket: net.Socket) => void;

export interface RawUpstream {
  url: string;
  port: number;
  requests: RawRequest[];
  /** Connections accepted so far. */
  connections: number;
  /** Sockets the gateway closed (or that closed) so far. */
  closed: number;
  close(): Promise<void>;
}

/** The first header value named `name`, or undefined. */
export function header(request: { headers: Array<[string, string]> }, name: string): string | undefined {
  return request.headers.find(([key]) => key === name)?.[1];
}

/**
 * An upstream that sees the bytes as sent: Node's own server would merge, normalise or hide
 * framing (Transfer-Encoding, trailers, a bodyless POST) that these tests are about. It parses
 * just enough HTTP/1.1 to find where a request ends, then lets `handler` write any bytes back.
 */
export async function startRawUpstream(handler: RawHandler): Promise<RawUpstream> {
  const requests: RawRequest[] = [];
  const sockets = new Set<net.Socket>();
  const state = { connections: 0, closed: 0 };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => {
      state.closed++;
      sockets.delete(socket);
    });
    socket.on('error', () => undefined);
    let buffered = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (;;) {
        const parsed = parseRequest(buffered);
        if (!parsed) return;
        buffered = buffered.slice(parsed.length);
        requests.push(parsed.request);
        handler(parsed.request, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return state.connections;
    },
    get closed() {
      return state.closed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function parseRequest(text: string): { request: RawRequest; length: number } | undefined {
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const head = text.slice(0, headEnd + 4);
  const [line = '', ...lines] = text.slice(0, headEnd).split('\r\n');
  const [method = '', target = ''] = line.split(' ');
  const headers = lines.map((l): [string, string] => {
    const colon = l.indexOf(':');
    return [l.slice(0, colon).trim().toLowerCase(), l.slice(colon + 1).trim()];
  });
  const request = {
    head,
    method,
    target,
    headers,
    body: '',
    rawBody: '',
    trailers: [] as Array<[string, string]>,
  };
  let at = headEnd + 4;
  if (/chunked/i.test(header(request, 'transfer-encoding') ?? '')) {
    for (;;) {
      const sizeEnd = text.indexOf('\r\n', at);
      if (sizeEnd < 0) return undefined;
      const size = parseInt(text.slice(at, sizeEnd), 16);
      if (size === 0) {
        const end = text.indexOf('\r\n\r\n', sizeEnd - 2);
        if (end < 0) return undefined;
        const trailerText = text.slice(sizeEnd + 2, end + 2);
        for (const l of trailerText.split('\r\n').filter(Boolean)) {
          const colon = l.indexOf(':');
          request.trailers.push([l.slice(0, colon).trim().toLowerCase(), l.slice(colon + 1).trim()]);
        }
        request.rawBody = text.slice(headEnd + 4, end + 4);
        return { request, length: end + 4 };
      }
      if (text.length < sizeEnd + 2 + size + 2) return undefined;
      request.body += text.slice(sizeEnd + 2, sizeEnd + 2 + size);
      at = sizeEnd + 2 + size + 2;
    }
  }
  const length = Number(header(request, 'content-length') ?? 0);
  if (text.length < at + length) return undefined;
  request.body = request.rawBody = text.slice(at, at + length);
  return { request, length: at + length };
}
