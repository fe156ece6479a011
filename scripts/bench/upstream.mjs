// A small JSON upstream for benchmarks: answers every request with the same 100-byte body.
import http from 'node:http';

const body = JSON.stringify({ ok: true, service: 'bench-upstream', padding: 'x'.repeat(52) });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
