#!/usr/bin/env node
// `npm run bench:memory [-- --quick] [-- --callers N] [-- --requests N] [-- --window ms]`: the
// resident memory of a real `gw dev` process (issue 7):
//   1. N distinct callers (default 100,000) through a rate limit keyed by a header add < 50 MB,
//      and their entries go once their windows expire: a second wave of as many new callers after
//      that adds little, because it reuses what the first wave freed;
//   2. M requests (default 1,000,000) through the full chain leave RSS within 10 % of where it was
//      after the first 100,000.
// Every load is bounded by a request count (autocannon `amount`); --quick runs smaller counts.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { createBenchContext, option, rssMb, sleep, stopAll } from './processes.mjs';
import { benchPath, fourRoutes, gwJson, startGw } from './setups.mjs';

const quick = process.argv.includes('--quick');
const callers = option('--callers', quick ? 20_000 : 100_000);
const total = option('--requests', quick ? 200_000 : 1_000_000);
const windowMs = option('--window', quick ? 3_000 : 10_000);
const connections = option('--connections', 50);
// The in-memory limiter sweeps expired entries every 10 s.
const sweepMs = 10_000;

/** Sends `amount` requests; `headersOf(i)` may give each one its own headers. */
async function send(url, amount, headersOf) {
  let i = 0;
  const result = await autocannon({
    url,
    connections,
    amount,
    requests: [
      { setupRequest: (request) => ({ ...request, headers: { ...request.headers, ...headersOf(i++) } }) },
    ],
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0)
    console.error(`  (${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts)`);
  return result;
}

const mb = (value) => `${value.toFixed(1)} MB`;
const verdict = (ok) => (ok ? 'met' : 'MISSED');

async function distinctCallers(ctx) {
  const rateLimit = { limit: 10, window: windowMs, by: 'header:x-caller' };
  const gw = await startGw(ctx, 'callers', fourRoutes(ctx.upUrl, { rateLimit }));
  // Warm up with one caller: JIT, agents and buffers settle before the baseline.
  await send(gw.url, 20_000, () => ({ 'x-caller': 'warm' }));
  await sleep(1000);
  const base = rssMb(gw.pid);
  await send(gw.url, callers, (i) => ({ 'x-caller': `a${i}` }));
  await sleep(1000);
  const afterFirst = rssMb(gw.pid);
  const wait = windowMs + sweepMs + 1000;
  console.error(`  waiting ${Math.round(wait / 1000)} s for the windows to expire and the sweep to run`);
  await sleep(wait);
  const expired = rssMb(gw.pid);
  await send(gw.url, callers, (i) => ({ 'x-caller': `b${i}` }));
  await sleep(1000);
  const afterSecond = rssMb(gw.pid);
  const growth = afterFirst - base;
  const limit = (50 * callers) / 100_000;
  const second = afterSecond - expired;
  return [
    `${callers.toLocaleString('en-US')} distinct callers through the rate limiter: RSS ${mb(base)} → ${mb(afterFirst)}, +${mb(growth)} (target < ${mb(limit)}): ${verdict(growth < limit)}`,
    `after their ${windowMs / 1000} s windows expired: ${mb(expired)}; ${callers.toLocaleString('en-US')} new callers then add ${mb(second)} (${growth > 0 ? Math.round((100 * second) / growth) : 0} % of the first wave; freed entries are reused when this is small): ${verdict(second < Math.max(growth * 0.5, 5))}`,
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
    const rss = rssMb(gw.pid);
    series.push(`${sent / 1000}k: ${rss.toFixed(0)}`);
    atFirst ??= rss;
    console.error(`  ${sent.toLocaleString('en-US')} requests: RSS ${mb(rss)}`);
  }
  const last = rssMb(gw.pid);
  const change = (100 * (last - atFirst)) / atFirst;
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  return [
    `${total.toLocaleString('en-US')} requests through the full chain (API key, rate limit, JSON log, metrics) in ${seconds} s: RSS after the first ${step.toLocaleString('en-US')} ${mb(atFirst)}, at the end ${mb(last)}, ${change >= 0 ? '+' : ''}${change.toFixed(1)} % (target within 10 %): ${verdict(Math.abs(change) <= 10)}`,
    `RSS (MB) along the way: ${series.join(', ')}`,
  ];
}

async function main() {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gw-memory-'));
  try {
    const ctx = await createBenchContext(workDir);
    const lines = [...(await distinctCallers(ctx)), ...(await manyRequests(ctx))];
    console.log(
      `\n${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}, gw on ${benchPath}\n`,
    );
    for (const line of lines) console.log(`- ${line}`);
  } finally {
    stopAll();
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  stopAll();
  process.exit(1);
});
