// Process plumbing shared by the bench scripts: pinned children that are always stopped on exit,
// free ports, and one bounded load run with wrk (autocannon when wrk is not installed).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

// This process reads the children's output (gw's request log) while the load runs: it belongs
// with the load generator on core 0, away from the proxy's core.
if (hasTaskset) spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });

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
      resolve({ child, port: readyPort, stderr: err });
    };
    // Only the tail of the output is kept for error messages; a request log can be long.
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

/**
 * CPU seconds used so far by a process and its descendants (`script` runs gw as its child), from
 * /proc; undefined where there is no /proc. CPU per request is steadier on a busy machine than
 * requests per second.
 */
export function cpuSeconds(pid) {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return undefined;
  let total = 0;
  for (const id of [pid, ...descendants(pid)]) {
    try {
      const fields = readFileSync(`/proc/${id}/stat`, 'utf8').split(') ')[1].split(' ');
      // utime and stime, fields 14 and 15 of stat(5), counted from the state field (3).
      total += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended between listing and reading.
    }
  }
  return total / clockTicks;
}

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function descendants(pid) {
  const out = [];
  for (const task of safeReaddir(`/proc/${pid}/task`)) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const child of text.split(' ').filter(Boolean).map(Number)) out.push(child, ...descendants(child));
  }
  return out;
}

function safeReaddir(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * One bounded load run of `seconds`: { rps, p99 (ms), non2xx, cpuUs } where cpuUs is the CPU
 * time the process `pid` spent per request, in microseconds.
 */
export async function load(url, headers, seconds, connections = 50, pid = undefined, request = {}) {
  const cpuBefore = cpuSeconds(pid);
  const result = await runLoad(url, headers, seconds, connections, request);
  const cpuAfter = cpuSeconds(pid);
  const cpuUs =
    cpuBefore === undefined || !result.requests ? NaN : ((cpuAfter - cpuBefore) * 1e6) / result.requests;
  return { ...result, cpuUs };
}

/**
 * `request`: { method, body } for loads that send a body (a POST with JSON); wrk takes them from a
 * Lua script, autocannon from -m and -b.
 */
async function runLoad(url, headers, seconds, connections, request = {}) {
  if (hasWrk) {
    const headerArgs = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    if (request.method || request.body !== undefined) {
      const script = path.join(os.tmpdir(), `gw-bench-request-${process.pid}.lua`);
      const lines = [`wrk.method = "${request.method ?? 'GET'}"`];
      if (request.body !== undefined) lines.push(`wrk.body = [==[${request.body}]==]`);
      writeFileSync(script, lines.join('\n') + '\n');
      headerArgs.push('-s', script);
    }
    const [cmd, cmdArgs] = pin(0, 'wrk', [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      '--latency',
      ...headerArgs,
      url,
    ]);
    const result = await run(cmd, cmdArgs, (seconds + 30) * 1000);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(result.stdout)?.[1] ?? NaN);
    const p99 = parseLatency(/99%\s+([\d.]+\w+)/.exec(result.stdout)?.[1]);
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(result.stdout)?.[1] ?? 0);
    const requests = Number(/(\d+) requests in/.exec(result.stdout)?.[1] ?? 0);
    return { rps, p99, non2xx, requests };
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
    ...(request.method ? ['-m', request.method] : []),
    ...(request.body !== undefined ? ['-b', request.body] : []),
    url,
  ]);
  const result = await run(cmd, cmdArgs, (seconds + 30) * 1000);
  const json = JSON.parse(result.stdout);
  return {
    rps: json.requests.average,
    p99: json.latency.p99,
    non2xx: json.non2xx,
    requests: json.requests.total,
  };
}

/**
 * Runs a load generator without blocking this process: the children's output pipes (gw's request
 * log, the dashboard's frames through `script`) must keep draining while the load runs, or a full
 * pipe stalls the process under test and the figure measures the pipe.
 */
function run(cmd, cmdArgs, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', () => {
      clearTimeout(timer);
      resolve({ stdout });
    });
  });
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

/** Starts the bench upstream on core 0 and returns what setups.mjs rows prepare with. */
export async function createBenchContext(workDir, extra = {}) {
  const upstream = await start(0, process.execPath, [path.join(root, 'scripts/bench/upstream.mjs')]);
  const upUrl = `http://127.0.0.1:${upstream.port}`;
  return { root, workDir, upUrl, upPort: upstream.port, start, pin, freePort, ...extra };
}

/** Resident set size of a process in MB, from /proc (NaN where there is none). */
export function rssMb(pid) {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads `--name value` from argv, as a number when the fallback is one. */
export function option(name, fallback) {
  const args = process.argv.slice(2);
  if (!args.includes(name)) return fallback;
  const value = args[args.indexOf(name) + 1];
  return typeof fallback === 'number' ? Number(value) : value;
}

/**
 * Memory of a process started with `--inspect=127.0.0.1:0`, after two full garbage collections
 * (through the inspector protocol, so the process needs no code of its own for it): RSS and V8
 * heap in MB. RSS alone swings by tens of MB with garbage not yet collected.
 */
export async function measureMemory(stderr) {
  const url = /ws:\/\/127\.0\.0\.1:\d+\/[\w-]+/.exec(stderr)?.[0];
  if (!url) throw new Error('the process was not started with --inspect=127.0.0.1:0');
  const { WebSocket } = await import('ws');
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let id = 0;
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const mine = ++id;
      const onMessage = (data) => {
        const message = JSON.parse(String(data));
        if (message.id !== mine) return;
        socket.off('message', onMessage);
        if (message.error) reject(new Error(message.error.message));
        else resolve(message.result);
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ id: mine, method, params }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const { result } = await call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    });
    const usage = JSON.parse(result.value);
    return { rss: usage.rss / 2 ** 20, heap: usage.heapUsed / 2 ** 20 };
  } finally {
    socket.close();
  }
}

/** The first line of a script's report: when, on what machine and Node, and what was run. */
export function reportHeading(what) {
  const cpus = os.cpus();
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return `\n${when} UTC, ${cpus.length} × ${cpus[0]?.model.trim()}, Node ${process.version}, ${what}\n`;
}

/** Runs a script's main: a failure is printed, every process it started is stopped, exit 1. */
export function runScript(main) {
  main().catch((error) => {
    console.error(error);
    stopAll();
    process.exit(1);
  });
}
