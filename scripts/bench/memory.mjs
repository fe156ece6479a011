#!/usr/bin/env node
// `npm run bench:memory [-- --quick] [-- --callers N] [-- --requests N] [-- --window ms]`: the
// resident memory of a real `gw dev` process (issue 7):
//   1. N distinct callers (default 100,000) through a rate limit keyed by a header add < 50 MB,
//      and the heap falls back once their windows expire;
//   2. M requests (default 1,000,000) through the full chain leave RSS within 10 % of where it was
//      after the first 100,000.
// Memory is read after two full collections, through the inspector (gw runs with
// --inspect=127.0.0.1:0): RSS straight after a load swings by tens of MB with uncollected garbage.
// Every load is bounded by a request count (autocannon `amount`); --quick runs smaller counts.
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
import { benchPath, fourRoutes, gwJson, startGw } from './setups.mjs';

const quick = process.argv.includes('--quick');
const callers = option('--callers', quick ? 20_000 : 100_000);
const total = option('--requests', quick ? 200_000 : 1_000_000);
const windowMs = option('--window', quick ? 20_000 : 60_000);
const connections = option('--connections', 50);
// The in-memory limiter sweeps expired entries every 10 s.
const sweepMs = 10_000;

/** Sends `amount` requests; `headersOf(i)` may give each one its own headers. */
async function send(url, amount, headersOf, { refusalsExpected = false } = {}) {
  let i = 0;
  const result = await autocannon({
    url,
    connections,
    amount,
    requests: [
      { setupRequest: (request) => ({ ...request, headers: { ...request.headers, ...headersOf(i++) } }) },
    ],
  });
  const bad = (refusalsExpected ? 0 : result.non2xx) + result.errors + result.timeouts;
  if (bad > 0)
    console.error(`  (${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts)`);
  return result;
}

const mb = (value) => `${value.toFixed(1)} MB`;
const verdict = (ok) => (ok ? 'met' : 'MISSED');

const memo = (m) => `RSS ${mb(m.rss)} (heap ${mb(m.heap)})`;

async function distinctCallers(ctx) {
  // One request per window: each caller's entry lives a whole window (GCRA drops an entry once its
  // budget is whole again, so a larger limit would free entries while the wave still runs).
  const rateLimit = { limit: 1, window: windowMs, by: 'header:x-caller' };
  const gw = await startGw(ctx, 'callers', fourRoutes(ctx.upUrl, { rateLimit }));
  // Warm up with as many requests from a hundred callers: JIT, agents and buffers settle before
  // the baseline. (Most are refused: that is fine here.)
  await send(gw.url, callers, (i) => ({ 'x-caller': `warm${i % 100}` }), { refusalsExpected: true });
  const base = await measureMemory(gw.stderr);
  await send(gw.url, callers, (i) => ({ 'x-caller': `a${i}` }));
  const loaded = await measureMemory(gw.stderr);
  const wait = windowMs + sweepMs + 1000;
  console.error(`  waiting ${Math.round(wait / 1000)} s for the windows to expire and the sweep to run`);
  await sleep(wait);
  const expired = await measureMemory(gw.stderr);
  const growth = loaded.rss - base.rss;
  const heapGrowth = loaded.heap - base.heap;
  const limit = (50 * callers) / 100_000;
  const left = expired.heap - base.heap;
  const n = callers.toLocaleString('en-US');
  return [
    `${n} distinct callers through the rate limiter: ${memo(base)} → ${memo(loaded)}: +${mb(growth)} RSS, +${mb(heapGrowth)} heap (target < ${mb(limit)} RSS): ${verdict(growth < limit)}`,
    `${windowMs / 1000} s later (windows expired, sweep ran): ${memo(expired)}; ${mb(left)} of the ${mb(heapGrowth)} heap growth left (target: falls back, < 20 % left): ${verdict(left < Math.max(heapGrowth * 0.2, 1))}`,
  ];
}

async function manyRequests(ctx) {
  const stateDir = path.join(ctx.workDir, 'requests', 'state');
  const { key } = gwJson(ctx, ['keys', 'create', '--name', 'memory', '--state-dir', stateDir]);
  const policies = { auth: 'apiKey', rateLimit: { limit: 1_000_000_000, window: '1m' } };
  const gw = await startGw(ctx, 'requests', fourRoutes(ctx.upUrl, policies), {
    args: ['--log-format', 'json'],
  });
  const headers = () => ({ 'x-api-key': key });
  const step = Math.min(100_000, total);
  const series = [];
  let sent = 0;
  let atFirst;
  const started = performance.now();
  while (sent < total) {
    const amount = Math.min(step, total - sent);
    await send(gw.url, amount, headers);
    sent += amount;
    const memory = await measureMemory(gw.stderr);
    series.push(`${sent / 1000}k: ${memory.rss.toFixed(0)}/${memory.heap.toFixed(0)}`);
    atFirst ??= memory;
    console.error(`  ${sent.toLocaleString('en-US')} requests: ${memo(memory)}`);
  }
  const last = await measureMemory(gw.stderr);
  const change = (100 * (last.rss - atFirst.rss)) / atFirst.rss;
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  return [
    `${total.toLocaleString('en-US')} requests through the full chain (API key, rate limit, JSON log, metrics) in ${seconds} s: after the first ${step.toLocaleString('en-US')} ${memo(atFirst)}, at the end ${memo(last)}: RSS ${change >= 0 ? '+' : ''}${change.toFixed(1)} % (target within 10 %): ${verdict(Math.abs(change) <= 10)}`,
    `RSS/heap MB after each 100k: ${series.join(', ')}`,
  ];
}

async function main() {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gw-memory-'));
  try {
    const ctx = await createBenchContext(workDir, { nodeArgs: ['--inspect=127.0.0.1:0'] });
    const lines = [...(await distinctCallers(ctx)), ...(await manyRequests(ctx))];
    console.log(reportHeading(`gw on ${benchPath}`));
    for (const line of lines) console.log(`- ${line}`);
  } finally {
    stopAll();
    await sleep(500);
    await rm(workDir, { recursive: true, force: true });
  }
}

runScript(main);
