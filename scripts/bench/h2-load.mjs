// HTTP/2 and HTTP/1.1 clients on one plain route for the bench: h2load (Debian's nghttp2-client)
// drives both protocols alike when installed; else a node:http2 loop stands in for the HTTP/2
// side. Bounded in time (h2load -D, the loop's deadline) and in count.
import { spawnSync, execFile } from 'node:child_process';
import http2 from 'node:http2';
import { percentile99 } from './grpc-load.mjs';

export const hasH2load = spawnSync('h2load', ['--version']).error === undefined;
const MAX_CALLS = 5_000_000;

/** h2load's own summary: `finished in 3.00s, 12345.67 req/s`, the status codes and the failures. */
function parseH2load(stdout) {
  const [, took, unit, rate] = /finished in ([\d.]+)(m?s), ([\d.]+) req\/s/.exec(stdout) ?? [];
  const seconds = Number(took) / (unit === 'ms' ? 1000 : 1);
  const rps = Number(rate);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout) ?? [];
  const [ok, ...others] = codes.slice(1).map(Number);
  const failed = Number(/(\d+) failed/.exec(stdout)?.[1] ?? 0);
  const protocol = /Application protocol: (\S+)/.exec(stdout)?.[1];
  // h2load prints the mean and spread of request times, not percentiles: p99 is left out.
  return {
    rps,
    seconds,
    protocol,
    p99: NaN,
    non2xx: failed + others.reduce((a, b) => a + b, 0),
    requests: ok + failed,
  };
}

/**
 * HTTP/1.1 only: `--h1` on cleartext; on TLS, ALPN alone (h2load 1.52 with `--h1 -D` over TLS
 * starts no request at all: "0 started").
 */
const h1Args = (url, h1) => (!h1 ? [] : url.startsWith('https:') ? ['--npn-list', 'http/1.1'] : ['--h1']);

function runH2load(args, seconds) {
  return new Promise((resolve, reject) =>
    execFile('h2load', args, { timeout: (seconds + 30) * 1000 }, (error, stdout) =>
      error ? reject(error) : resolve(parseH2load(stdout)),
    ),
  );
}

/**
 * Keep-alive load: `connections` clients, one request in flight on each, for `seconds`. An
 * https:// URL speaks TLS with ALPN (h2, or http/1.1 with `h1`). h2load does not verify the
 * server's certificate (it has no option to): rows that load TLS check the chain with Node first.
 * `warmUp` seconds before the clock starts take the connections' handshakes out of the figure
 * (over TLS without it, h2load 1.52 sometimes stalled at the end of its time, handshakes pending).
 */
export function h2load(url, seconds, connections = 50, { h1 = false, warmUp = 0 } = {}) {
  const args = ['-c', String(connections), '-m', '1', '-D', String(seconds), ...h1Args(url, h1)];
  if (warmUp) args.push('--warm-up-time', String(warmUp));
  args.push(url);
  return runH2load(args, seconds + warmUp);
}

/**
 * A new connection (and TLS handshake on https://) per request: h2load in bursts of `connections`
 * clients that make one request each and close, repeated until `seconds` have passed. req/s is
 * the requests over the time h2load reports for its bursts (its start-up between bursts, when gw
 * sits idle, is left out). (`-D` with `Connection: close` stalls, and HTTP/2 has no such header.)
 */
export async function h2loadNewConnections(url, seconds, connections = 50, { h1 = false } = {}) {
  const c = String(connections);
  const args = ['-n', c, '-c', c, '-m', '1', ...h1Args(url, h1), url];
  const deadline = Date.now() + seconds * 1000;
  const total = { busy: 0, requests: 0, non2xx: 0, protocol: undefined };
  while (Date.now() < deadline && total.requests < MAX_CALLS) {
    const burst = await runH2load(args, seconds);
    total.busy += burst.seconds;
    total.requests += burst.requests;
    total.non2xx += burst.non2xx;
    total.protocol ??= burst.protocol;
  }
  const rps = total.requests / total.busy;
  return { rps, p99: NaN, non2xx: total.non2xx, requests: total.requests, protocol: total.protocol };
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
