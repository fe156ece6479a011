#!/usr/bin/env node
// `node scripts/bench/undici-fidelity.mjs`: what a proxy needs from its upstream client, asked of
// undici 7 (Pool/H2CClient.dispatch) and of Node's own clients (http.request, http2.connect),
// against real upstreams on 127.0.0.1 that write exact bytes. Prints one line per fact; the
// answers decided which client gw forwards with (README, "forwarding engine"). Not a test: it
// describes libraries, it does not assert gw's behaviour.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { H2CClient, Pool } from 'undici';

const results = [];
const report = (fact, undici, node) => results.push({ fact, undici, node });

/** A raw HTTP/1.1 upstream: answers every request (after reading its head and body) with `answer`. */
async function rawUpstream(answer, onRequest = () => {}) {
  const server = net.createServer((socket) => {
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = data.slice(0, end);
      const chunked = /transfer-encoding: chunked/i.test(head);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      const body = data.slice(end + 4);
      if (chunked ? !/(^|\r\n)0\r\n(.*\r\n)*\r\n$/.test(body) : body.length < length) return;
      onRequest(head, body);
      data = '';
      socket.write(answer);
    });
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

/** One dispatch, collecting what a proxy's handler would see. */
function dispatch(dispatcher, options) {
  return new Promise((resolve) => {
    const seen = { informational: [], status: 0, headers: {}, body: '', trailers: {}, error: undefined };
    try {
      dispatcher.dispatch(options, {
        onRequestStart() {},
        onResponseStart(_c, status, headers) {
          if (status < 200) seen.informational.push({ status, headers });
          else Object.assign(seen, { status, headers });
        },
        onResponseData(_c, chunk) {
          seen.body += chunk;
        },
        onResponseEnd(_c, trailers) {
          seen.trailers = trailers;
          resolve(seen);
        },
        onResponseError(_c, error) {
          seen.error = `${error.code ?? error.name}: ${error.message}`;
          resolve(seen);
        },
      });
    } catch (error) {
      seen.error = `${error.code ?? error.name}: ${error.message}`;
      resolve(seen);
    }
  });
}

/** The same through http.request: 'information' events, the answer, its trailers. */
function nodeRequest(origin, options, write) {
  return new Promise((resolve) => {
    const seen = { informational: [], status: 0, headers: {}, body: '', trailers: {}, error: undefined };
    let req;
    try {
      req = http.request(`${origin}${options.path ?? '/'}`, {
        method: options.method ?? 'GET',
        headers: options.headers,
      });
    } catch (error) {
      seen.error = `${error.code ?? error.name}: ${error.message}`;
      resolve(seen);
      return;
    }
    req.on('information', (info) =>
      seen.informational.push({ status: info.statusCode, headers: info.headers }),
    );
    req.on('response', (res) => {
      Object.assign(seen, { status: res.statusCode, headers: res.headers });
      res.on('data', (chunk) => (seen.body += chunk));
      res.on('end', () => {
        seen.trailers = res.trailers;
        resolve(seen);
      });
    });
    req.on('error', (error) => {
      seen.error = `${error.code ?? error.name}: ${error.message}`;
      resolve(seen);
    });
    if (write) write(req);
    else req.end();
  });
}

const show = (seen, pick) => (seen.error ? `error (${seen.error})` : pick(seen));

async function earlyHints() {
  const { server, origin } = await rawUpstream(
    'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  );
  const pool = new Pool(origin);
  const u = await dispatch(pool, { method: 'GET', path: '/' });
  const n = await nodeRequest(origin, {});
  const pick = (s) =>
    `1xx seen: ${s.informational.map((i) => `${i.status} link=${i.headers.link}`).join(',') || 'none'}; final ${s.status}`;
  report('HTTP/1.1 103 Early Hints before 200', show(u, pick), show(n, pick));
  await pool.close();
  server.close();
}

async function unaskedContinue() {
  // RFC 9110 §15.2: a client must parse 1xx answers even when it did not expect one.
  const { server, origin } = await rawUpstream(
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  );
  const pool = new Pool(origin);
  const u = await dispatch(pool, {
    method: 'POST',
    path: '/',
    headers: { 'content-length': '2' },
    body: 'hi',
  });
  const n = await nodeRequest(origin, { method: 'POST', headers: { 'content-length': '2' } }, (r) =>
    r.end('hi'),
  );
  const pick = (s) => `final ${s.status} body=${s.body}`;
  report('HTTP/1.1 100 Continue the client did not ask for', show(u, pick), show(n, pick));
  await pool.close();
  server.close();
}

async function responseTrailers() {
  const { server, origin } = await rawUpstream(
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: grpc-status\r\n\r\n2\r\nok\r\n0\r\ngrpc-status: 0\r\nx-checksum: abc\r\n\r\n',
  );
  const pool = new Pool(origin);
  const u = await dispatch(pool, { method: 'GET', path: '/' });
  const n = await nodeRequest(origin, {});
  const pick = (s) => `trailers ${JSON.stringify(s.trailers)}`;
  report('HTTP/1.1 response trailers', show(u, pick), show(n, pick));
  await pool.close();
  server.close();
}

async function requestTrailers() {
  let upstreamBody = '';
  const { server, origin } = await rawUpstream('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', (_h, body) => {
    upstreamBody = body;
  });
  // undici has no request-trailer option (Dispatcher.DispatchOptions; client-h2.js: "TODO: add
  // support for sending trailers"); a `trailers` option is ignored or refused.
  const pool = new Pool(origin);
  const u = await dispatch(pool, {
    method: 'POST',
    path: '/',
    body: Readable.from([Buffer.from('hi')]),
    trailers: { 'x-sum': '1' },
  });
  const undiciSent = upstreamBody;
  const n = await nodeRequest(origin, { method: 'POST', headers: { trailer: 'x-sum' } }, (r) => {
    r.write('hi');
    r.addTrailers({ 'x-sum': '1' });
    r.end();
  });
  const pick = (body) => (/x-sum: 1/i.test(body) ? 'sent' : 'not sent');
  report(
    'HTTP/1.1 request trailers',
    u.error ? `error (${u.error})` : pick(undiciSent),
    n.error ? n.error : pick(upstreamBody),
  );
  await pool.close();
  server.close();
}

async function headerChecks() {
  let upstreamHead = '';
  const { server, origin } = await rawUpstream('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', (head) => {
    upstreamHead = head;
  });
  const pool = new Pool(origin);
  const cases = [
    ['Host of the client passed as given', ['host', 'app.localhost:8080']],
    ['two Cookie lines', ['cookie', 'a=1', 'cookie', 'b=2']],
    ['two Host lines', ['host', 'a', 'host', 'b']],
    ['Transfer-Encoding: chunked given', ['transfer-encoding', 'chunked']],
    ['Connection: keep-alive, x-hop given', ['connection', 'keep-alive, x-hop']],
    ['Upgrade: h2c given', ['upgrade', 'h2c']],
    ['Expect: 100-continue given', ['expect', '100-continue']],
  ];
  for (const [fact, headers] of cases) {
    upstreamHead = '';
    const u = await dispatch(pool, { method: 'GET', path: '/', headers });
    const n = await nodeRequest(origin, { headers });
    const lines = (head) =>
      head
        .split('\r\n')
        .slice(1)
        .filter((l) => new RegExp(`^(${headers.filter((_, i) => i % 2 === 0).join('|')}):`, 'i').test(l))
        .join(' | ');
    // The upstream head read by both: the last request's, node's (undici's was overwritten).
    const undiciLine = u.error ? `error (${u.error})` : 'accepted';
    report(
      `request header: ${fact}`,
      undiciLine,
      n.error ? `error (${n.error})` : `sent: ${lines(upstreamHead) || '(none)'}`,
    );
  }
  await pool.close();
  server.close();
}

async function obsFold() {
  const { server, origin } = await rawUpstream(
    'HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\nok',
  );
  const pool = new Pool(origin);
  const u = await dispatch(pool, { method: 'GET', path: '/' });
  const n = await nodeRequest(origin, {});
  const pick = (s) => `x-folded=${JSON.stringify(s.headers['x-folded'])}`;
  report('response header with obs-fold', show(u, pick), show(n, pick));
  await pool.close();
  server.close();
}

/** A cleartext HTTP/2 upstream: 103, then a big body, then trailers. */
async function h2Upstream(bodyBytes) {
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.additionalHeaders({ ':status': 103, link: '</a.css>; rel=preload' });
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'ok' }));
    stream.end(Buffer.alloc(bodyBytes, 120));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

async function h2c() {
  const bodyBytes = 1 << 20;
  const { server, origin } = await h2Upstream(bodyBytes);
  const client = new H2CClient(origin);
  const u = await dispatch(client, { method: 'GET', path: '/' });
  report(
    'h2c prior knowledge (H2CClient), 103 + 1 MiB + trailers',
    show(
      u,
      (s) =>
        `1xx seen: ${s.informational.length}; ${s.body.length} bytes; trailers ${JSON.stringify(s.trailers)}`,
    ),
    'http2.connect: 103 via stream "headers", trailers via "trailers" (Node API)',
  );
  // A proxy pauses the upstream while its client is slow: pause on every chunk, resume later.
  const slow = await new Promise((resolve) => {
    let bytes = 0;
    client.dispatch(
      { method: 'GET', path: '/' },
      {
        onRequestStart() {},
        onResponseStart() {},
        onResponseData(controller, chunk) {
          bytes += chunk.length;
          controller.pause();
          setTimeout(() => controller.resume(), 2);
        },
        onResponseEnd(_c, trailers) {
          resolve(`${bytes} of ${bodyBytes} bytes; trailers ${JSON.stringify(trailers)}`);
        },
        onResponseError(_c, error) {
          resolve(`error (${error.message}) after ${bytes} bytes`);
        },
      },
    );
  });
  report(
    'h2c, 1 MiB + trailers read by a slow client (pause/resume)',
    slow,
    'stream.pause()/resume(); trailers after the data',
  );
  // The same with the legacy handler API (onHeaders/onData/onComplete), which undici calls
  // without its UnwrapHandler adapter: are the trailers lost in the adapter or in the client?
  for (const slowly of [false, true]) {
    const legacy = await new Promise((resolve) => {
      let bytes = 0;
      let resume;
      client.dispatch(
        { method: 'GET', path: '/' },
        {
          onConnect() {},
          onHeaders(_status, _headers, resumeUpstream) {
            resume = resumeUpstream;
            return true;
          },
          onData(chunk) {
            bytes += chunk.length;
            if (!slowly) return true;
            setTimeout(resume, 2);
            return false;
          },
          onComplete(trailers) {
            resolve(`${bytes} of ${bodyBytes} bytes; trailers ${JSON.stringify(trailers)}`);
          },
          onError(error) {
            resolve(`error (${error.message}) after ${bytes} bytes`);
          },
        },
      );
    });
    report(`h2c, legacy handler API, ${slowly ? 'slow' : 'fast'} reader`, legacy, '');
  }
  await client.close();
  server.close();
}

await earlyHints();
await unaskedContinue();
await responseTrailers();
await requestTrailers();
await headerChecks();
await obsFold();
await h2c();

const { version } = JSON.parse(
  await import('node:fs').then((fs) =>
    fs.promises.readFile(new URL('../../node_modules/undici/package.json', import.meta.url), 'utf8'),
  ),
);
console.log(`undici ${version}, Node ${process.version}\n`);
console.log('| fact | undici 7 dispatch | node:http / node:http2 |');
console.log('| --- | --- | --- |');
for (const r of results) console.log(`| ${r.fact} | ${r.undici} | ${r.node} |`);
