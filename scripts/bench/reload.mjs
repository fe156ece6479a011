#!/usr/bin/env node
// `npm run bench:reload [-- --quick] [-- --reloads N] [-- --routes N]`: hot reload of a real
// `gw dev` on a gateway.config.ts of 200 routes (issue 7). Each round rewrites the file with a
// new marker route and times from the start of the write until the marker answers (save to
// serving: watcher, debounce, bundling, validation, build and swap). Then the memory the
// reloads left behind, read after two full collections through the inspector.
// Targets: median < 300 ms; 200 reloads grow RSS < 20 MB.
import http from 'node:http';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createBenchContext,
  measureMemory,
  median,
  option,
  reportHeading,
  root,
  runScript,
  sleep,
  stopAll,
} from './processes.mjs';

const quick = process.argv.includes('--quick');
const reloads = option('--reloads', quick ? 30 : 200);
const routeCount = option('--routes', 200);

/** A config as people write it: typed, through `defineConfig`, routes of several shapes. */
function configSource(upUrl, marker) {
  const routes = [];
  for (let i = 0; routes.length < routeCount - 1; i++) {
    const shapes = [
      `{ path: '/api/svc${i}/items/:id', service: 'up' }`,
      `{ path: '/api/svc${i}/items', methods: ['GET', 'POST'], service: 'up' }`,
      `{ path: '/v${i}/things/*', service: 'up', stripPrefix: '/v${i}' }`,
      `{ path: '/api/orders/:id/line${i}', service: 'up', timeout: '5s' }`,
    ];
    routes.push(shapes[i % shapes.length]);
  }
  routes.push(`{ path: '/reload-check/${marker}', service: 'up' }`);
  return `import { defineConfig } from 'gw';

export default defineConfig({
  services: { up: { targets: [${JSON.stringify(upUrl)}] } },
  routes: [
    ${routes.join(',\n    ')},
  ],
});
`;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function status(port, urlPath) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode));
    });
    req.once('error', () => resolve(0));
  });
}

/** Polls until the marker route answers (anything but 404 means the new config serves it). */
async function waitForRoute(port, urlPath, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const code = await status(port, urlPath);
    if (code !== 404 && code !== 0) return true;
    await sleep(2);
  }
  return false;
}

const percentile = (values, p) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))];

async function main() {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gw-reload-'));
  try {
    const ctx = await createBenchContext(workDir);
    const dir = path.join(workDir, 'project');
    // The config imports 'gw' the way a project that installed it does.
    await mkdir(path.join(dir, 'node_modules'), { recursive: true });
    await symlink(root, path.join(dir, 'node_modules', 'gw'), 'dir');
    const file = path.join(dir, 'gateway.config.ts');
    await writeFile(file, configSource(ctx.upUrl, 0));
    const port = await ctx.freePort();
    const args = [
      '--inspect=127.0.0.1:0',
      path.join(root, 'bin/gw.js'),
      'dev',
      '--config',
      file,
      '--port',
      String(port),
    ];
    const gw = await ctx.start(
      1,
      process.execPath,
      [...args, '--no-dashboard', '--state-dir', path.join(dir, '.gw')],
      {},
      { port },
    );
    if (!(await waitForRoute(port, '/reload-check/0'))) throw new Error('gw did not serve the first config');
    // A few reloads first: the bundler and the module graph warm up before the baseline.
    const times = [];
    let failed = 0;
    let base;
    for (let i = 1; i <= reloads + 5; i++) {
      if (i === 6) base = await measureMemory(gw.stderr);
      const started = performance.now();
      await writeFile(file, configSource(ctx.upUrl, i));
      const ok = await waitForRoute(port, `/reload-check/${i}`);
      if (i > 5) {
        if (ok) times.push(performance.now() - started);
        else failed++;
      }
      // Let the watcher's debounce pass, so that every save is its own reload.
      await sleep(120);
    }
    const after = await measureMemory(gw.stderr);
    const mid = median(times);
    const growth = after.rss - base.rss;
    const limit = (20 * reloads) / 200;
    console.log(reportHeading(`gateway.config.ts with ${routeCount} routes`));
    console.log(
      `- hot reload, save to serving, ${times.length} reloads: median ${mid.toFixed(0)} ms, p90 ${percentile(times, 0.9).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)} (target median < 300 ms): ${mid < 300 ? 'met' : 'MISSED'}${failed ? ` — ${failed} reloads never served!` : ''}`,
    );
    console.log(
      `- memory after ${reloads} reloads: RSS ${base.rss.toFixed(1)} → ${after.rss.toFixed(1)} MB (+${growth.toFixed(1)}), heap ${base.heap.toFixed(1)} → ${after.heap.toFixed(1)} MB (target RSS growth < ${limit.toFixed(0)} MB): ${growth < limit ? 'met' : 'MISSED'}`,
    );
  } finally {
    agent.destroy();
    stopAll();
    await sleep(300);
    await rm(workDir, { recursive: true, force: true });
  }
}

runScript(main);
