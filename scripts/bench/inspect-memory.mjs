#!/usr/bin/env node
// `node scripts/bench/inspect-memory.mjs [--requests N] [--body BYTES] [--max-total SIZE]`: the
// memory bound of body inspection (issue 17): N requests (default 100,000) through a real `gw dev`
// with inspect.bodies on, each with a BYTES request body (default 40,000, so the last 1,000
// requests' bodies would be ~40 MB, over the default 32 MB bound). After every tenth of the load
// the kept body bytes are read from /__gw/requests (gw's own exact count) and gw's memory after
// two full collections (through the inspector). Met when the kept bytes never pass
// inspect.maxTotalBytes and the heap stops growing once the bound is reached.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import {
  createBenchContext,
  measureMemory,
  option,
  reportHeading,
  runScript,
  sleep,
  stopAll,
} from './processes.mjs';
import { benchPath, fourRoutes, startGw } from './setups.mjs';

const total = option('--requests', 100_000);
const bodyBytes = option('--body', 40_000);
const maxTotal = option('--max-total', '32mb');
const connections = option('--connections', 20);

const mb = (value) => `${value.toFixed(1)} MB`;

async function main() {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gw-inspect-memory-'));
  try {
    const ctx = await createBenchContext(workDir, { nodeArgs: ['--inspect=127.0.0.1:0'] });
    const config = { ...fourRoutes(ctx.upUrl), inspect: { bodies: true, maxTotalBytes: maxTotal } };
    const gw = await startGw(ctx, 'inspect', config, { args: ['--log-format', 'json'] });
    const origin = new URL(gw.url).origin;
    const body = 'x'.repeat(bodyBytes);
    const step = Math.max(1, Math.floor(total / 10));
    const rows = [];
    let sent = 0;
    let worst = 0;
    let bound = 0;
    const started = performance.now();
    while (sent < total) {
      const amount = Math.min(step, total - sent);
      const result = await autocannon({
        url: gw.url,
        connections,
        amount,
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body,
      });
      const bad = result.non2xx + result.errors + result.timeouts;
      if (bad > 0)
        console.error(`  (${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts)`);
      sent += amount;
      const kept = await fetch(`${origin}/__gw/requests?last=1`).then((r) => r.json());
      const memory = await measureMemory(gw.stderr);
      worst = Math.max(worst, kept.bodies.keptBytes);
      bound = kept.bodies.maxTotalBytes;
      const row = `${sent.toLocaleString('en-US')}: kept ${mb(kept.bodies.keptBytes / 2 ** 20)} in ${kept.bodies.keptRequests} requests; RSS ${mb(memory.rss)}, heap ${mb(memory.heap)}`;
      rows.push(row);
      console.error(`  ${row}`);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    console.log(reportHeading(`gw on ${benchPath}`));
    console.log(
      `- ${total.toLocaleString('en-US')} POSTs with ${bodyBytes.toLocaleString('en-US')}-byte bodies in ${seconds} s, inspect.maxTotalBytes ${maxTotal} (${bound} bytes): the most kept at any reading ${worst} bytes: ${worst <= bound ? 'met' : 'MISSED'}`,
    );
    for (const row of rows) console.log(`  - ${row}`);
  } finally {
    stopAll();
    await sleep(500);
    await rm(workDir, { recursive: true, force: true });
  }
}

runScript(main);
