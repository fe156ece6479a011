// The floor under every Node proxy here: Node's own http client and server, a keep-alive agent,
// nothing else (no routing, no header care, no error answers). Not a gateway; it shows what the
// proxy library itself costs next to the bare http-proxy-3 row.
import http from 'node:http';

const upstream = { host: '127.0.0.1', port: Number(process.env.UP_PORT) };
const agent = new http.Agent({
  keepAlive: true,
  maxSockets: Infinity,
  maxFreeSockets: 256,
  scheduling: 'lifo',
});
const server = http.createServer((req, res) => {
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
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
