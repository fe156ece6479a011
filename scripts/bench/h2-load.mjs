// HTTP/2 and HTTP/1.1 clients on one plain route for the bench: h2load (Debian's nghttp2-client)
// drives both protocols alike when installed; else a node:http2 loop stands in for the HTTP/2
// side. Bounded in time (h2load -D, the loop's deadline) and in count.
import { spawnSync, execFile } from 'node:child_process';
import http2 from 'node:http2';
import { percentile99 } from './grpc-load.mjs';

export const hasH2load = spawnSync('h2load', ['--version']).error === undefined;
const MAX_CALLS = 5_000_000;

/** h2load's own summary: `finished in 3.00s, 12345.67 req/s`, the status codes and the failures. */
export function h2load(url, seconds, connections = 50, { h1 = false } = {}) {
  const args = ['-c', String(connections), '-m', '1', '-D', String(seconds), ...(h1 ? ['--h1'] : []), url];
  return new Promise((resolve, reject) =>
    execFile('h2load', args, { timeout: (seconds + 30) * 1000 }, (error, stdout) => {
      if (error) return reject(error);
      const rps = Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(stdout)?.[1]);
      const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout) ?? [];
      const [ok, ...others] = codes.slice(1).map(Number);
      const failed = Number(/(\d+) failed/.exec(stdout)?.[1] ?? 0);
      // h2load prints the mean and spread of request times, not percentiles: p99 is left out.
      resolve({ rps, p99: NaN, non2xx: failed + others.reduce((a, b) => a + b, 0), requests: ok + failed });
    }),
  );
}

/** GETs over `connections` HTTP/2 sessions, `streams` concurrent streams on each. */
export async function http2Load(url, seconds, connections = 50, streams = 1) {
  const { origin, pathname } = new URL(url);
  const sessions = Array.from({ length: connections }, () => http2.connect(origin));
  const deadline = Date.now() + seconds * 1000;
  const latencies = [];
  let calls = 0;
  let non2xx = 0;
  const loop = async (session) => {
    while (Date.now() < deadline && calls < MAX_CALLS) {
      calls++;
      const started = performance.now();
      await new Promise((resolve) => {
        const request = session.request({ ':path': pathname });
        request.on('response', (head) => {
          if (head[':status'] < 200 || head[':status'] >= 300) non2xx++;
        });
        request.on('error', () => (non2xx++, resolve()));
        request.on('end', resolve);
        request.resume();
      });
      latencies.push(performance.now() - started);
    }
  };
  const began = performance.now();
  await Promise.all(sessions.flatMap((session) => Array.from({ length: streams }, () => loop(session))));
  const elapsed = (performance.now() - began) / 1000;
  for (const session of sessions) session.close();
  return { rps: calls / elapsed, p99: percentile99(latencies), non2xx, requests: calls };
}
