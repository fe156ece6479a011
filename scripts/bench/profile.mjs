#!/usr/bin/env node
// `npm run bench:profile [-- --only chain] [-- --seconds 10] [-- --top 30]`: runs one gw setup of
// setups.mjs under `node --cpu-prof`, drives it with wrk for a bounded time, stops it (the profile
// is written on exit) and prints the functions with the most self time, and the time per file.
// Open the .cpuprofile in Chrome DevTools for the call tree; its path is printed last.
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, load, pin, root, runScript, start, stopAll } from './processes.mjs';
import { setups } from './setups.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const id = option('--only', 'chain');
const seconds = Number(option('--seconds', 10));
const top = Number(option('--top', 30));
const outDir = path.resolve(option('--out', path.join(os.tmpdir(), 'gw-profiles')));

let requests = 0;

async function main() {
  const setup = setups.find((s) => s.id === id);
  if (!setup) throw new Error(`no setup '${id}' (have: ${setups.map((s) => s.id).join(', ')})`);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gw-profile-'));
  const profileDir = path.join(outDir, `${id}-${Date.now()}`);
  await mkdir(profileDir, { recursive: true });
  try {
    const upstream = await start(0, process.execPath, [path.join(root, 'scripts/bench/upstream.mjs')]);
    const upUrl = `http://127.0.0.1:${upstream.port}`;
    const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', profileDir];
    const context = { root, workDir, upUrl, upPort: upstream.port, start, pin, freePort, nodeArgs };
    const prepared = await setup.prepare(context);
    if (prepared.skip) throw new Error(`${id} skipped: ${prepared.skip}`);
    for (const note of prepared.notes ?? []) console.error(`  ${id}: ${note}`);
    // Setups with a load loop of their own (the gRPC rows) are driven by it instead of wrk.
    const drive = prepared.load ?? ((s) => load(prepared.url, prepared.headers ?? {}, s));
    const warm = await drive(2);
    const result = await drive(seconds);
    requests = result.requests + warm.requests;
    console.error(
      `${id}: ${Math.round(result.rps)} req/s, p99 ${result.p99.toFixed(2)} ms under the profiler`,
    );
  } finally {
    stopAll();
    await rm(workDir, { recursive: true, force: true });
  }
  const file = await waitForProfile(profileDir);
  summarize(JSON.parse(await readFile(file, 'utf8')));
  console.log(`\nprofile: ${file}`);
}

async function waitForProfile(dir) {
  for (let i = 0; i < 100; i++) {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
    if (files.length > 0) return path.join(dir, files[0]);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no profile written to ${dir}`);
}

function summarize(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    self.set(node, (self.get(node) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self]
    .filter(([n]) => n.callFrame.functionName === '(idle)')
    .reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const byFunction = new Map();
  const byFile = new Map();
  for (const [node, time] of self) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = shortUrl(url);
    const key = `${functionName || '(anonymous)'}  ${file}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + time);
    if (functionName !== '(idle)')
      byFile.set(file || functionName, (byFile.get(file || functionName) ?? 0) + time);
  }
  // Shares of busy time, and µs per request (the profiler itself adds to every figure).
  const pct = (t) =>
    `${((100 * t) / busy).toFixed(1).padStart(5)} % ${(t / requests).toFixed(2).padStart(6)} µs`;
  console.log(
    `\nbusy ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s sampled, ${requests} requests: ${(busy / requests).toFixed(1)} µs busy per request\n`,
  );
  console.log('self time by function');
  for (const [key, time] of [...byFunction]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    console.log(`${pct(time)}  ${key}`);
  }
  console.log('\nself time by file');
  for (const [file, time] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 20))
    console.log(`${pct(time)}  ${file}`);
}

function shortUrl(url) {
  if (!url) return '';
  return url.replace(`file://${root}/`, '').replace(/^file:\/\/.*node_modules\//, '');
}

runScript(main);
