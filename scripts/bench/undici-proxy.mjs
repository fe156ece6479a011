// undici 7 as the upstream client, beside raw-proxy.mjs (node:http) and bare-proxy.mjs
// (http-proxy-3): Node's http server in front, one keep-alive Pool (pipelining 1, no socket cap),
// both bodies streamed. Not a gateway; it measures what the client itself costs.
// UNDICI_MODE picks the API a proxy would use:
//   dispatch — pool.dispatch with a handler (new onRequestStart/onResponse* API), as undici's
//              own examples/proxy does: no Readable per answer, backpressure by pause/resume;
//   legacy   — the same with the legacy handler API (onConnect/onHeaders/onData/onComplete),
//              which undici calls without its UnwrapHandler adapter;
//   request  — pool.request, then the answer's Readable piped to the client;
//   stream   — pool.stream, the client response as the writable factory's result.
import http from 'node:http';
import { Pool } from 'undici';

const mode = process.env.UNDICI_MODE ?? 'dispatch';
const pool = new Pool(`http://127.0.0.1:${process.env.UP_PORT}`, { connections: null, pipelining: 1 });

/** Headers undici refuses to be given (it frames the body itself), plus the hop-by-hop ones. */
const refused = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']);

function requestOptions(req) {
  const headers = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (!refused.has(raw[i].toLowerCase())) headers.push(raw[i], raw[i + 1]);
  }
  // Only a request that declares a body streams one (a GET piped would otherwise go chunked).
  const hasBody =
    req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  return { method: req.method, path: req.url, headers, body: hasBody ? req : null };
}

function failed(res) {
  if (!res.headersSent) res.writeHead(502);
  res.end();
}

/** The new handler API: headers come parsed, the controller pauses and resumes the upstream. */
function dispatchNew(req, res) {
  let controller;
  const resume = () => controller.resume();
  const abort = () => {
    if (!res.writableFinished) controller?.abort(new Error('client went away'));
  };
  res.once('close', abort);
  pool.dispatch(requestOptions(req), {
    onRequestStart(c) {
      controller = c;
    },
    onResponseStart(c, statusCode, headers) {
      if (statusCode < 200) return;
      res.writeHead(statusCode, headers);
      res.on('drain', resume);
    },
    onResponseData(c, chunk) {
      if (!res.write(chunk)) c.pause();
    },
    onResponseEnd() {
      res.end();
    },
    onResponseError() {
      failed(res);
    },
  });
}

/** The legacy handler API: raw header Buffers, `false` from onData pauses. */
function dispatchLegacy(req, res) {
  let abortUpstream;
  res.once('close', () => {
    if (!res.writableFinished) abortUpstream?.(new Error('client went away'));
  });
  pool.dispatch(requestOptions(req), {
    onConnect(abort) {
      abortUpstream = abort;
    },
    onHeaders(statusCode, rawHeaders, resume) {
      if (statusCode < 200) return true;
      const list = [];
      for (let i = 0; i < rawHeaders.length; i++) list.push(rawHeaders[i].toString('latin1'));
      res.writeHead(statusCode, list);
      res.on('drain', resume);
      return true;
    },
    onData(chunk) {
      return res.write(chunk);
    },
    onComplete() {
      res.end();
    },
    onError() {
      failed(res);
    },
  });
}

function viaRequest(req, res) {
  const options = requestOptions(req);
  pool.request(options).then(
    ({ statusCode, headers, body }) => {
      res.writeHead(statusCode, headers);
      body.pipe(res);
      res.once('close', () => body.destroy());
    },
    () => failed(res),
  );
}

function viaStream(req, res) {
  pool
    .stream(requestOptions(req), ({ statusCode, headers }) => {
      res.writeHead(statusCode, headers);
      return res;
    })
    .catch(() => failed(res));
}

const handlers = { dispatch: dispatchNew, legacy: dispatchLegacy, request: viaRequest, stream: viaStream };
const handle = handlers[mode];
if (!handle) throw new Error(`UNDICI_MODE must be one of ${Object.keys(handlers).join(', ')}`);

const server = http.createServer(handle);
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
