// Load loops for the gRPC bench rows (wrk and autocannon speak HTTP/1.1 only). Each
// is bounded in time and in count, and reports what run-bench.mjs prints: rps, p99, non2xx.
import grpc from '@grpc/grpc-js';
import { benchService } from './grpc-upstream.mjs';

/** No loop runs past this many calls, whatever the duration. */
const MAX_CALLS = 5_000_000;

export function percentile99(latencies) {
  if (!latencies.length) return NaN;
  latencies.sort((a, b) => a - b);
  return latencies[Math.floor(latencies.length * 0.99)];
}

const Client = grpc.makeGenericClientConstructor(benchService, 'Bench');

/** Unary calls from `concurrency` loops on one grpc-js channel (as an application would). */
export async function grpcUnaryLoad(target, seconds, concurrency = 50) {
  const client = new Client(target.replace(/^http:\/\//, ''), grpc.credentials.createInsecure());
  const deadline = Date.now() + seconds * 1000;
  const latencies = [];
  let calls = 0;
  let failed = 0;
  const loop = async () => {
    while (Date.now() < deadline && calls < MAX_CALLS) {
      calls++;
      const started = performance.now();
      await new Promise((resolve) =>
        client.Unary(Buffer.from('hi'), (error) => {
          if (error) failed++;
          latencies.push(performance.now() - started);
          resolve();
        }),
      );
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (performance.now() - began) / 1000;
  client.close();
  return { rps: calls / elapsed, p99: percentile99(latencies), non2xx: failed, requests: calls };
}

/** One server stream of `bytes`; "rps" is MB/s, p99 the whole stream's time in ms. */
export async function grpcStreamLoad(target, bytes = 100 * 1024 * 1024, seconds = 60) {
  const client = new Client(target.replace(/^http:\/\//, ''), grpc.credentials.createInsecure());
  const began = performance.now();
  let received = 0;
  const ok = await new Promise((resolve) => {
    const call = client.Stream(Buffer.from(String(bytes)), { deadline: Date.now() + seconds * 1000 });
    call.on('data', (chunk) => (received += chunk.length));
    call.on('error', () => resolve(false));
    call.on('end', () => resolve(true));
  });
  const ms = performance.now() - began;
  client.close();
  return {
    rps: received / 1e6 / (ms / 1000),
    p99: ms,
    non2xx: ok && received === bytes ? 0 : 1,
    requests: 1,
  };
}
