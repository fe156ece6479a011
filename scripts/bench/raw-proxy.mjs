// The floor under every Node proxy here: Node's own http client and server, a keep-alive agent,
// nothing else (no routing, no header care, no error answers). Not a gateway; it shows what the
// proxy library itself costs next to the bare http-proxy-3 row.
// RAW_MODE=lean does what gw's forwarder (src/proxy/http-forward.ts) does on Node's client:
// header lists passed flat, no pipe for a request without a body, the answer relayed with three
// listeners. It is the node:http side of the undici comparison (undici-proxy.mjs does the same).
import http from 'node:http';

const upstream = { host: '127.0.0.1', port: Number(process.env.UP_PORT) };
const agent = new http.Agent({
  keepAlive: true,
  maxSockets: Infinity,
  maxFreeSockets: 256,
  scheduling: 'lifo',
});

function classic(req, res) {
  const proxyReq = http.request({
    ...upstream,
    agent,
    method: req.method,
    path: req.url,
    headers: req.headers,
  });
  proxyReq.on('response', (proxyRes) => {
    res.writeHead(proxyRes.statusCode, proxyRes.headers);
    proxyRes.pipe(res);
  });
  proxyReq.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(proxyReq);
}

const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']);
function flat(raw) {
  const list = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!hopByHop.has(raw[i].toLowerCase())) list.push(raw[i], raw[i + 1]);
  }
  return list;
}

function lean(req, res) {
  const hasBody =
    req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  const headers = flat(req.rawHeaders);
  if (req.headers['transfer-encoding'] !== undefined) headers.push('transfer-encoding', 'chunked');
  const proxyReq = http.request({ ...upstream, agent, method: req.method, path: req.url, headers });
  proxyReq.on('response', (proxyRes) => {
    res.writeHead(proxyRes.statusCode, flat(proxyRes.rawHeaders));
    const resume = () => proxyRes.resume();
    proxyRes.on('data', (chunk) => {
      if (!res.write(chunk)) {
        proxyRes.pause();
        res.once('drain', resume);
      }
    });
    proxyRes.on('end', () => res.end());
  });
  proxyReq.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  res.on('close', () => {
    if (!res.writableFinished) proxyReq.destroy();
  });
  if (hasBody) req.pipe(proxyReq);
  else proxyReq.end();
}

const server = http.createServer(process.env.RAW_MODE === 'lean' ? lean : classic);
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
