#!/usr/bin/env node
// `npm run bench:start [-- --quick] [-- --runs N]`: how long `gw dev` takes from launch to
// serving (issue 7: < 1 s), on a typed gateway.config.ts: once with plain output, and once on a
// pseudo-terminal (via `script`) where the figure also waits for the dashboard's first frame.
// Each run launches a fresh process (cold module loading each time, warm OS file cache).
import http from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createBenchContext,
  median,
  option,
  pin,
  reportHeading,
  root,
  runScript,
  sleep,
  stopAll,
} from './processes.mjs';

const quick = process.argv.includes('--quick');
const runs = option('--runs', quick ? 3 : 7);

function configSource(upUrl) {
  return `import { defineConfig } from 'gw';

export default defineConfig({
  services: { up: { targets: [${JSON.stringify(upUrl)}] } },
  routes: [
    { path: '/api/users', service: 'up' },
    { path: '/api/orders/:id', service: 'up', rateLimit: { limit: 100, window: '1m' } },
    { path: '/api/products/*', service: 'up' },
    { path: '/health', methods: ['GET'], service: 'up' },
  ],
});
`;
}

function get(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/orders/1', agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode));
    });
    req.once('error', () => resolve(0));
  });
}

/** Launches gw and resolves the ms until it answered a request (and drew its first frame, on a TTY). */
async function launch(ctx, file, port, tty) {
  const gwArgs = [path.join(root, 'bin/gw.js'), 'dev', '--config', file, '--port', String(port)];
  const quote = (a) => `'${a}'`;
  const [cmd, cmdArgs] = tty
    ? pin(1, 'script', [
        '-qfec',
        `stty cols 120 rows 40; exec ${[process.execPath, ...gwArgs].map(quote).join(' ')}`,
        '/dev/null',
      ])
    : pin(1, process.execPath, [...gwArgs, '--no-dashboard']);
  const started = performance.now();
  const child = spawn(cmd, cmdArgs, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TERM: 'xterm-256color' },
  });
  let frameAt;
  let output = '';
  child.stdout.on('data', (data) => {
    output += data;
    // The dashboard's header names the URL; plain output says "listening".
    if (frameAt === undefined && output.includes(`127.0.0.1:${port}`)) frameAt = performance.now() - started;
  });
  child.stderr.on('data', (data) => (output += data));
  let servedAt;
  while (performance.now() - started < 15_000 && child.exitCode === null) {
    if ((await get(port)) === 200) {
      servedAt = performance.now() - started;
      break;
    }
    await sleep(5);
  }
  while (tty && frameAt === undefined && performance.now() - started < 15_000) await sleep(5);
  child.kill('SIGTERM');
  await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
  if (servedAt === undefined) throw new Error(`gw did not serve:\n${output.slice(-2000)}`);
  return { servedAt, frameAt };
}

async function main() {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gw-start-'));
  try {
    const ctx = await createBenchContext(workDir);
    const dir = path.join(workDir, 'project');
    await mkdir(path.join(dir, 'node_modules'), { recursive: true });
    await symlink(root, path.join(dir, 'node_modules', 'gw'), 'dir');
    const file = path.join(dir, 'gateway.config.ts');
    await writeFile(file, configSource(ctx.upUrl));
    const hasScript = !spawnSync('script', ['--version']).error;
    const plain = [];
    const served = [];
    const frames = [];
    // One untimed launch first: the OS file cache, as after any earlier run of gw on this machine.
    await launch(ctx, file, await ctx.freePort(), false);
    for (let i = 0; i < runs; i++) {
      plain.push((await launch(ctx, file, await ctx.freePort(), false)).servedAt);
      if (hasScript) {
        const run = await launch(ctx, file, await ctx.freePort(), true);
        served.push(run.servedAt);
        frames.push(Math.max(run.servedAt, run.frameAt ?? Infinity));
      }
    }
    const fmt = (values) =>
      `median ${median(values).toFixed(0)} ms (min ${Math.min(...values).toFixed(0)}, max ${Math.max(...values).toFixed(0)})`;
    const verdict = (values) => (median(values) < 1000 ? 'met' : 'MISSED');
    console.log(reportHeading(`gateway.config.ts with 4 routes, ${runs} launches each`));
    console.log(
      `- \`gw dev --no-dashboard\`, launch to first answer: ${fmt(plain)} (target < 1000 ms): ${verdict(plain)}`,
    );
    if (hasScript) {
      console.log(`- \`gw dev\` on a terminal, launch to first answer: ${fmt(served)}`);
      console.log(
        `- \`gw dev\` on a terminal, launch to first answer and first dashboard frame: ${fmt(frames)} (target < 1000 ms): ${verdict(frames)}`,
      );
    } else console.log('- dashboard start not measured: `script` (util-linux) is not installed');
  } finally {
    stopAll();
    await rm(workDir, { recursive: true, force: true });
  }
}

runScript(main);
