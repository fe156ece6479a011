// Process plumbing shared by the bench scripts: pinned children that are always stopped on exit,
// free ports, and one bounded load run with wrk (autocannon when wrk is not installed).
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const hasWrk = spawnSync('wrk', ['--version']).error === undefined;
export const hasTaskset =
  os.platform() === 'linux' &&
  spawnSync('taskset', ['-c', '0', 'true']).status === 0 &&
  os.cpus().length >= 2;
// Load generator and upstream share core 0; the proxy under test has core 1 to itself.
export const pin = (core, command, commandArgs) =>
  hasTaskset ? ['taskset', ['-c', String(core), command, ...commandArgs]] : [command, commandArgs];

const children = [];
/**
 * Starts a process pinned to `core` and resolves once it serves: when `port` is given, once a
 * TCP connect to it succeeds; otherwise once it prints "listening <port>".
 */
export function start(core, command, commandArgs, env = {}, { port } = {}) {
  const [cmd, cmdArgs] = pin(core, command, commandArgs);
  const child = spawn(cmd, cmdArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let settled = false;
    const timer = setTimeout(
      () => fail(new Error(`${command} ${commandArgs.join(' ')} did not start:\n${out}${err}`)),
      15_000,
    );
    const fail = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    };
    const ready = (readyPort) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.stderr.removeAllListeners('data');
      // Keep draining: a full pipe would stall the process.
      child.stdout.resume();
      child.stderr.resume();
      resolve({ child, port: readyPort });
    };
    // Only the head of the output is kept for error messages; a request log can be long.
    child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    child.stdout.on('data', (d) => {
      out = (out + d).slice(-4000);
      const match = port === undefined && /listening (?:on http:\/\/127\.0\.0\.1:)?(\d+)/.exec(out);
      if (match) ready(Number(match[1]));
    });
    child.once('exit', (code) => fail(new Error(`${command} exited (${code}):\n${out}${err}`)));
    if (port !== undefined) {
      const poll = () => {
        if (settled) return;
        const socket = net.connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          ready(port);
        });
        socket.once('error', () => setTimeout(poll, 25));
      };
      poll();
    }
  });
}

/** A port nobody listens on right now (the dashboard does not print one to read). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function stopAll() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

/** One bounded load run of `seconds`: { rps, p99 (ms), non2xx }. */
export function load(url, headers, seconds, connections = 50) {
  if (hasWrk) {
    const headerArgs = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    const [cmd, cmdArgs] = pin(0, 'wrk', [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      '--latency',
      ...headerArgs,
      url,
    ]);
    const result = spawnSync(cmd, cmdArgs, { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(result.stdout)?.[1] ?? NaN);
    const p99 = parseLatency(/99%\s+([\d.]+\w+)/.exec(result.stdout)?.[1]);
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(result.stdout)?.[1] ?? 0);
    return { rps, p99, non2xx };
  }
  const cli = path.join(root, 'node_modules/autocannon/autocannon.js');
  const headerArgs = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
  const [cmd, cmdArgs] = pin(0, process.execPath, [
    cli,
    '-j',
    '-c',
    String(connections),
    '-d',
    String(seconds),
    ...headerArgs,
    url,
  ]);
  const result = spawnSync(cmd, cmdArgs, { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const json = JSON.parse(result.stdout);
  return { rps: json.requests.average, p99: json.latency.p99, non2xx: json.non2xx };
}

function parseLatency(text) {
  if (!text) return NaN;
  const value = parseFloat(text);
  if (text.endsWith('us')) return value / 1000;
  if (text.endsWith('ms')) return value;
  if (text.endsWith('s')) return value * 1000;
  return value;
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
