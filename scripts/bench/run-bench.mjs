#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --only name,name]`: the upstream directly, a bare http-proxy-3
// with a keep-alive agent, and gw in each configuration of setups.mjs, driven side by side in
// one run (interleaved repetitions, so a slow moment of the machine hits every setup alike),
// printed as one markdown table of medians with ratios against the bare proxy. A script, never
// a test: timings are read by people, not asserted.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setups } from './setups.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : undefined;
const duration = Number(process.env.BENCH_DURATION ?? (quick ? 3 : 10));
const reps = Number(process.env.BENCH_REPS ?? (quick ? 1 : 3));
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const warmup = quick ? 1 : 3;

const hasWrk = spawnSync('wrk', ['--version']).error === undefined;
const hasTaskset = os.platform() === 'linux' && spawnSync('taskset', ['-c', '0', 'true']).status === 0 && os.cpus().length >= 2;
// Load generator and upstream share core 0; the proxy under test has core 1 to itself.
const pin = (core, command, commandArgs) => (hasTaskset ? ['taskset', ['-c', String(core), command, ...commandArgs]] : [command, commandArgs]);

const children = [];
function start(core, command, commandArgs, env = {}) {
  const [cmd, cmdArgs] = pin(core, command, commandArgs);
  const child = spawn(cmd, cmdArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${command} ${commandArgs.join(' ')} did not start:\n${out}${err}`)), 15_000);
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', function onData(d) {
      out += d;
      const match = /listening (?:on http:\/\/127\.0\.0\.1:)?(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stdout.resume(); // keep draining: a full pipe would stall the process
        resolve({ child, port: Number(match[1]) });
      }
    });
    child.once('exit', (code) => reject(new Error(`${command} exited (${code}):\n${out}${err}`)));
  });
}

function stopAll() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

/** One bounded load run: { rps, p99 } */
function load(url, headers, seconds) {
  if (hasWrk) {
    const headerArgs = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    const [cmd, cmdArgs] = pin(0, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...headerArgs, url]);
    const result = spawnSync(cmd, cmdArgs, { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(result.stdout)?.[1] ?? NaN);
    const p99 = parseLatency(/99%\s+([\d.]+\w+)/.exec(result.stdout)?.[1]);
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(result.stdout)?.[1] ?? 0);
    return { rps, p99, non2xx };
  }
  const cli = path.join(root, 'node_modules/autocannon/autocannon.js');
  const headerArgs = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
  const [cmd, cmdArgs] = pin(0, process.execPath, [cli, '-j', '-c', String(connections), '-d', String(seconds), ...headerArgs, url]);
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

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main() {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gw-bench-'));
  try {
    const upstream = await start(0, process.execPath, [path.join(here, 'upstream.mjs')]);
    const upUrl = `http://127.0.0.1:${upstream.port}`;
    const context = { root, workDir, upUrl, upPort: upstream.port, start, pin };
    const chosen = setups.filter((s) => !only || only.includes(s.id));
    const running = [];
    for (const setup of chosen) {
      const prepared = await setup.prepare(context);
      running.push({ setup, ...prepared });
    }
    const samples = new Map(running.map((r) => [r.setup.id, []]));
    console.error(`bench: ${reps} × ${duration}s per setup, ${connections} connections, ${hasWrk ? 'wrk' : 'autocannon'}${hasTaskset ? ', pinned' : ''}`);
    for (const r of running) load(r.url, r.headers ?? {}, warmup);
    for (let rep = 1; rep <= reps; rep++) {
      for (const r of running) {
        const sample = load(r.url, r.headers ?? {}, duration);
        samples.get(r.setup.id).push(sample);
        console.error(`  rep ${rep} ${r.setup.id}: ${Math.round(sample.rps)} req/s, p99 ${sample.p99.toFixed(2)} ms${sample.non2xx ? `, ${sample.non2xx} non-2xx` : ''}`);
      }
    }
    printTable(running, samples);
  } finally {
    stopAll();
    await rm(workDir, { recursive: true, force: true });
  }
}

function printTable(running, samples) {
  const summary = new Map(
    running.map((r) => {
      const s = samples.get(r.setup.id);
      const rps = s.map((x) => x.rps);
      return [r.setup.id, { rps: median(rps), min: Math.min(...rps), max: Math.max(...rps), p99: median(s.map((x) => x.p99)), non2xx: s.reduce((a, x) => a + (x.non2xx || 0), 0) }];
    }),
  );
  const bare = summary.get('bare');
  const lines = [
    `| setup | req/s | min–max | × bare | p99 ms | p99 × bare | target |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | --- |`,
  ];
  for (const r of running) {
    const s = summary.get(r.setup.id);
    const ratio = bare ? (s.rps / bare.rps).toFixed(2) : '–';
    const p99Ratio = bare ? (s.p99 / bare.p99).toFixed(2) : '–';
    const flag = s.non2xx ? ` (${s.non2xx} non-2xx!)` : '';
    lines.push(
      `| ${r.setup.name}${flag} | ${Math.round(s.rps).toLocaleString('en-US')} | ${Math.round(s.min).toLocaleString('en-US')}–${Math.round(s.max).toLocaleString('en-US')} | ${ratio} | ${s.p99.toFixed(2)} | ${p99Ratio} | ${r.setup.target ?? ''} |`,
    );
  }
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, Node ${process.version}, ${reps} × ${duration}s, ${connections} connections, ${hasWrk ? 'wrk' : 'autocannon'}; medians\n`);
  console.log(lines.join('\n'));
}

main().catch((error) => {
  console.error(error);
  stopAll();
  process.exit(1);
});
