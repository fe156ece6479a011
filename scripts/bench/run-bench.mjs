#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --only name,name]`: the upstream directly, a bare http-proxy-3
// with a keep-alive agent, and gw in each configuration of setups.mjs, driven side by side in
// one run (interleaved repetitions, so a slow moment of the machine hits every setup alike),
// printed as one markdown table of medians with ratios against the bare proxy. A script, never
// a test: timings are read by people, not asserted.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  hasTaskset,
  hasWrk,
  load as loadWith,
  median,
  pin,
  reportHeading,
  runScript,
  sleep,
  start,
  stopAll,
} from './processes.mjs';
import { setups } from './setups.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : undefined;
const duration = Number(process.env.BENCH_DURATION ?? (quick ? 3 : 10));
const reps = Number(process.env.BENCH_REPS ?? (quick ? 1 : 3));
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
// Seconds of load per setup before the measured repetitions: until V8 has compiled its hot code.
// Measured in 3 s windows after a start: the full chain reached its steady CPU per request in the
// second window, with span export on only in the fourth (521, 241, 235, then 143-155 µs), and the
// gRPC rows were still compiling after 4 s. A gateway runs for hours: the figures are its steady state.
const warmup = Number(process.env.BENCH_WARMUP ?? (quick ? 1 : 10));
const SETTLE_MS = 1_000;
// A row may bring its own load loop (gRPC, HTTP/2 clients): wrk and autocannon speak HTTP/1.1.
const load = (r, seconds) =>
  r.load ? r.load(seconds) : loadWith(r.url, r.headers ?? {}, seconds, connections, r.pid);

async function main() {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gw-bench-'));
  try {
    const upstream = await start(0, process.execPath, [path.join(here, 'upstream.mjs')]);
    const upUrl = `http://127.0.0.1:${upstream.port}`;
    const context = { root, workDir, upUrl, upPort: upstream.port, start, pin, freePort };
    const chosen = setups.filter((s) => !only || only.includes(s.id));
    const running = [];
    const skipped = [];
    for (const setup of chosen) {
      const prepared = await setup.prepare(context);
      if (prepared.skip) skipped.push(`${setup.name}: ${prepared.skip}`);
      else running.push({ setup, ...prepared });
      for (const note of prepared.notes ?? []) console.error(`  ${setup.id}: ${note}`);
    }
    const samples = new Map(running.map((r) => [r.setup.id, []]));
    console.error(
      `bench: ${reps} × ${duration}s per setup, ${connections} connections, ${hasWrk ? 'wrk' : 'autocannon'}${hasTaskset ? ', pinned' : ''}`,
    );
    // A row whose load is a fixed amount of work (the 100 MB gRPC stream) is repeated until the
    // warm-up time is spent: one stream left gw's relay cold (111, 226, 273, 303 MB/s in its
    // first four streams, 256-362 after).
    for (const r of running) {
      const until = performance.now() + warmup * 1000;
      do await load(r, warmup);
      while (performance.now() < until);
    }
    for (let rep = 1; rep <= reps; rep++) {
      for (const r of running) {
        // The previous setup's wind-down (closing 50 sockets, collecting garbage) runs on the same
        // core: let it finish before the next setup's clock starts.
        await sleep(SETTLE_MS);
        const sample = await load(r, duration);
        samples.get(r.setup.id).push(sample);
        console.error(
          `  rep ${rep} ${r.setup.id}: ${Math.round(sample.rps)} req/s, p99 ${sample.p99.toFixed(2)} ms, ${sample.cpuUs.toFixed(1)} µs CPU/req${sample.non2xx ? `, ${sample.non2xx} non-2xx` : ''}`,
        );
      }
    }
    printTable(running, samples, skipped);
  } finally {
    stopAll();
    // A stopped gw may still be writing its state folder for a moment (ENOTEMPTY otherwise).
    await rm(workDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

function printTable(running, samples, skipped) {
  const summary = new Map(
    running.map((r) => {
      const s = samples.get(r.setup.id);
      const rps = s.map((x) => x.rps);
      return [
        r.setup.id,
        {
          rps: median(rps),
          min: Math.min(...rps),
          max: Math.max(...rps),
          p99: median(s.map((x) => x.p99)),
          non2xx: s.reduce((a, x) => a + (x.non2xx || 0), 0),
          cpuUs: median(s.map((x) => x.cpuUs)),
        },
      ];
    }),
  );
  const bare = summary.get('bare');
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  const lines = [
    `| setup | req/s | min–max | × bare | p99 ms | p99 × bare | CPU µs/req | × bare by CPU | target | met (req/s; by CPU) |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |`,
  ];
  for (const r of running) {
    const s = summary.get(r.setup.id);
    const ratio = bare ? (s.rps / bare.rps).toFixed(2) : '–';
    const p99Ratio = bare ? (s.p99 / bare.p99).toFixed(2) : '–';
    const flags = [s.non2xx ? `${s.non2xx} non-2xx!` : '', ...(r.notes ?? [])].filter(Boolean);
    const flag = flags.length ? ` (${flags.join('; ')})` : '';
    const { text, met } = judge(r.setup.target, s, summary);
    const cpu = Number.isFinite(s.cpuUs) ? s.cpuUs.toFixed(1) : '–';
    const cpuRatio = bare && Number.isFinite(s.cpuUs) ? (bare.cpuUs / s.cpuUs).toFixed(2) : '–';
    lines.push(
      `| ${r.setup.name}${flag} | ${fmt(s.rps)} | ${fmt(s.min)}–${fmt(s.max)} | ${ratio} | ${s.p99.toFixed(2)} | ${p99Ratio} | ${cpu} | ${cpuRatio} | ${text} | ${met} |`,
    );
  }
  console.log(
    reportHeading(
      `${reps} × ${duration}s, ${connections} connections, ${hasWrk ? 'wrk' : 'autocannon'}${hasTaskset ? ' (load + upstream on core 0, proxy on core 1)' : ''}; medians`,
    ),
  );
  console.log(lines.join('\n'));
  console.log(
    "\n× bare by CPU: bare proxy CPU per request ÷ this setup's, the throughput ratio the proxy core would give if it had that core to itself (steadier than req/s on a shared machine).",
  );
  printPaired(running, samples);
  for (const line of skipped) console.log(`\nnot measured: ${line}`);
}

/**
 * Each target's ratio repetition by repetition (this row's rep k against its base's rep k, run
 * minutes apart at most): on a machine whose speed drifts, pairs cancel what the medians of
 * whole columns do not. Medians of the pairs decide nothing above; they show the spread.
 */
function printPaired(running, samples) {
  const lines = [];
  for (const r of running) {
    const target = r.setup.target;
    const base = target && samples.get(target.of);
    if (!base) continue;
    const own = samples.get(r.setup.id);
    const pairs = own.map((x, i) => [x, base[i]]).filter(([, b]) => b !== undefined);
    const rps = pairs.map(([x, b]) => x.rps / b.rps);
    const cpu = pairs.map(([x, b]) => b.cpuUs / x.cpuUs).filter(Number.isFinite);
    const list = (values) =>
      `${values.map((v) => v.toFixed(2)).join(', ')} (median ${median(values).toFixed(2)})`;
    lines.push(
      `- ${r.setup.id} ÷ ${target.of}: req/s ${list(rps)}${cpu.length ? `; by CPU ${list(cpu)}` : ''}`,
    );
  }
  if (lines.length) console.log(`\nTargets paired per repetition:\n${lines.join('\n')}`);
}

/** "≥ 0.95 × bare" and whether the medians meet it ("yes (0.97)" / "NO (0.91)"). */
function judge(target, s, summary) {
  if (!target) return { text: '', met: '' };
  const base = summary.get(target.of);
  const parts = [`≥ ${target.rps} × ${target.of}`];
  if (target.p99) parts.push(`p99 ≤ ${target.p99} × ${target.of}`);
  if (!base) return { text: parts.join(', '), met: `(${target.of} not run)` };
  const rps = s.rps / base.rps;
  const p99 = s.p99 / base.p99;
  const ok = rps >= target.rps && (!target.p99 || p99 <= target.p99);
  const got = [`${rps.toFixed(2)}×`];
  if (target.p99) got.push(`p99 ${p99.toFixed(2)}×`);
  const byCpu = base.cpuUs / s.cpuUs;
  const cpuText = Number.isFinite(byCpu)
    ? `; ${byCpu >= target.rps ? 'yes' : 'NO'} (${byCpu.toFixed(2)}×)`
    : '';
  return { text: parts.join(', '), met: `${ok ? 'yes' : 'NO'} (${got.join(', ')})${cpuText}` };
}

runScript(main);
