// An OTLP/HTTP receiver for the chain-trace bench row: takes every POST /v1/traces, reads and
// discards the body, answers 200 with an empty ExportTraceServiceResponse. GET / says how many
// batches and bytes it took, so the row can check that spans really arrive.
import http from 'node:http';

let batches = 0;
let bytes = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ batches, bytes }));
    return;
  }
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => {
    batches++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
