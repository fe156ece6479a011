// The floor under gw's gRPC pass-through: a node:http2 server whose every stream goes to one
// shared node:http2 client session upstream, head, body and trailers relayed as they come, and
// nothing else (no routing, no policies, no deadline, no error answers). Not a gateway; it shows
// what node:http2 itself costs a proxy per call, next to the grpc-gw row.
// H2_PROXY_MODE=compat takes requests through node:http2's compatibility API (req, res), as gw
// does (its one listener serves HTTP/1.1 and HTTP/2 with the same request shape).
import http2 from 'node:http2';

const { HTTP2_HEADER_STATUS, NGHTTP2_CANCEL } = http2.constants;
const upstreamOrigin = `http://127.0.0.1:${process.env.UP_PORT}`;
let session;
const upstream = () => {
  if (!session || session.closed || session.destroyed) {
    session = http2.connect(upstreamOrigin);
    session.on('error', () => (session = undefined));
  }
  return session;
};

/** Request headers for upstream: the pseudo-headers as they came, minus hop-by-hop fields. */
function requestHeaders(headers) {
  const out = {};
  for (const name in headers) if (name !== 'connection' && name !== 'keep-alive') out[name] = headers[name];
  return out;
}

function relayCore(stream, headers) {
  const up = upstream().request(requestHeaders(headers), { endStream: false });
  stream.pipe(up);
  up.on('response', (head, flags) => {
    if (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) {
      // Trailers-only: one HEADERS frame that ends the stream.
      stream.respond(head, { endStream: true });
      return;
    }
    stream.respond(head, { waitForTrailers: true });
    let trailers = {};
    up.once('trailers', (received) => (trailers = received));
    stream.once('wantTrailers', () => stream.sendTrailers(trailers));
    up.pipe(stream);
  });
  up.on('error', () => stream.close(NGHTTP2_CANCEL));
  stream.on('close', () => {
    if (!up.closed) up.close(NGHTTP2_CANCEL);
  });
}

function relayCompat(req, res) {
  const up = upstream().request(requestHeaders(req.headers), { endStream: false });
  req.pipe(up);
  up.on('response', (head) => {
    const status = Number(head[HTTP2_HEADER_STATUS]);
    const fields = {};
    for (const name in head) if (name[0] !== ':') fields[name] = head[name];
    res.writeHead(status, fields);
    up.once('trailers', (received) => res.addTrailers(received));
    up.pipe(res);
  });
  up.on('error', () => res.stream.close(NGHTTP2_CANCEL));
}

const compat = process.env.H2_PROXY_MODE === 'compat';
const server = compat ? http2.createServer(relayCompat) : http2.createServer();
if (!compat) server.on('stream', relayCore);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () =>
  console.log(`listening ${server.address().port}`),
);
process.on('SIGTERM', () => process.exit(0));
