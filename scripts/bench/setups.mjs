// The configurations `npm run bench` measures, as data: each prepares its processes and says
// which URL (and headers) to load, and what it is held to (`target`: a ratio of another row's
// req/s, optionally a bound on its p99). Add a row by adding an entry.
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { grpcStreamLoad, grpcUnaryLoad } from './grpc-load.mjs';
import { h2load, hasH2load, http2Load } from './h2-load.mjs';
import { httpsSetups } from './https-setups.mjs';
import { openapiSetups } from './openapi-setups.mjs';
import { cpuSeconds } from './processes.mjs';

/** Every gw row requests the same path, on a route with a param, as real APIs do. */
export const benchPath = '/api/orders/42';

/** Four routes, the bench one among them; `policies` go on the bench route. */
export function fourRoutes(upUrl, policies = {}) {
  return {
    services: { up: { targets: [upUrl] } },
    routes: [
      { path: '/api/users', service: 'up' },
      { path: '/api/orders/:id', service: 'up', ...policies },
      { path: '/api/products/*', service: 'up' },
      { path: '/health', methods: ['GET'], service: 'up' },
    ],
  };
}

/** The four routes plus 996 more of the shapes people write (literals, params, wildcards, methods). */
export function thousandRoutes(upUrl) {
  const config = fourRoutes(upUrl);
  for (let i = 0; config.routes.length < 1000; i++) {
    const shapes = [
      { path: `/api/svc${i}/items/:id` },
      { path: `/api/svc${i}/items`, methods: ['GET', 'POST'] },
      { path: `/v${i}/things/*` },
      { path: `/api/orders/:id/line${i}` },
    ];
    config.routes.push({ ...shapes[i % shapes.length], service: 'up' });
  }
  return config;
}

const schemaText = (ctx) => readFile(path.join(ctx.root, 'src/config/schema.ts'), 'utf8').catch(() => '');

/** Runs a gw CLI command (keys create, token issue) and returns its JSON output. */
export function gwJson(ctx, args) {
  const result = spawnSync(process.execPath, [path.join(ctx.root, 'bin/gw.js'), ...args, '--json'], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`gw ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return JSON.parse(result.stdout);
}

/**
 * Starts `gw dev` on a JSON config written to the bench's work folder, on a port chosen here (the
 * dashboard and the JSON log do not print a plain "listening" line to read it from).
 */
export async function startGw(ctx, id, config, { args = [], tty = false, env = {} } = {}) {
  const dir = path.join(ctx.workDir, id);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'gateway.config.json');
  await writeFile(file, JSON.stringify(config, null, 2));
  const port = await ctx.freePort();
  const gwArgs = [
    ...(ctx.nodeArgs ?? []),
    path.join(ctx.root, 'bin/gw.js'),
    'dev',
    '--config',
    file,
    '--port',
    String(port),
    '--state-dir',
    path.join(dir, 'state'),
    ...args,
  ];
  let started;
  if (tty) {
    // The dashboard only renders on a terminal: `script` gives gw a pseudo-terminal of its own.
    const command = [process.execPath, ...gwArgs].map((a) => `'${a}'`).join(' ');
    started = await ctx.start(
      1,
      'script',
      ['-qfec', `stty cols 120 rows 40; exec ${command}`, '/dev/null'],
      { TERM: 'xterm-256color', ...env },
      { port },
    );
  } else {
    started = await ctx.start(1, process.execPath, [...gwArgs, '--no-dashboard'], env, { port });
  }
  return {
    port,
    dir,
    pid: started.child.pid,
    stderr: started.stderr,
    url: `http://127.0.0.1:${port}${benchPath}`,
  };
}

/** Starts one of the reference proxies of scripts/bench/ in front of the upstream. */
async function startProxyScript(ctx, file, env = {}) {
  const port = await ctx.freePort();
  const { child } = await ctx.start(
    1,
    process.execPath,
    [...(ctx.nodeArgs ?? []), path.join(ctx.root, 'scripts/bench', file)],
    { ...env, UP_PORT: String(ctx.upPort), PORT: String(port) },
    { port },
  );
  return { url: `http://127.0.0.1:${port}${benchPath}`, pid: child.pid };
}

/** Says when a row does not measure what it claims (a policy not wired yet, an endpoint missing). */
async function probe(url, init, expected, what) {
  try {
    const response = await fetch(url, init);
    await response.arrayBuffer();
    return response.status === expected ? undefined : `${what}: got ${response.status}, expected ${expected}`;
  } catch (error) {
    return `${what}: ${error.message}`;
  }
}

async function fullChain(ctx, id, auth, credentialHeaders, extra = {}) {
  // A limit so high it never refuses: the bench measures the limiter's cost, not its answers.
  const policies = { auth, rateLimit: { limit: 1_000_000_000, window: '1m' } };
  const gw = await startGw(
    ctx,
    id,
    { ...fourRoutes(ctx.upUrl, policies), ...extra },
    { args: ['--log-format', 'json'] },
  );
  const notes = [
    await probe(gw.url, {}, 401, 'auth'),
    await probe(gw.url, { headers: credentialHeaders }, 200, 'credential'),
    await probe(`http://127.0.0.1:${gw.port}/__gw/metrics`, {}, 200, 'metrics'),
  ].filter(Boolean);
  return { url: gw.url, pid: gw.pid, headers: credentialHeaders, notes };
}

/** The full chain exporting its spans to an OTLP/HTTP sink that counts and discards them. */
async function chainTrace(ctx, id) {
  // The receiver sits beside the load generator, as a collector would be another process.
  const sink = await ctx.start(0, process.execPath, [path.join(ctx.root, 'scripts/bench/otlp-sink.mjs')]);
  const sinkUrl = `http://127.0.0.1:${sink.port}`;
  const stateDir = path.join(ctx.workDir, id, 'state');
  const { key } = gwJson(ctx, ['keys', 'create', '--name', 'bench', '--state-dir', stateDir]);
  const row = await fullChain(ctx, id, 'apiKey', { 'X-API-Key': key }, { telemetry: { otlp: sinkUrl } });
  // The probes' spans reach the sink within the batch delay (1 s); none means no export.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const taken = await fetch(sinkUrl).then((r) => r.json());
  if (taken.batches === 0) row.notes.push('telemetry: no spans reached the OTLP sink');
  return row;
}

/**
 * GW_BENCH_BASE=/path/to/another/checkout (built): each of `ids` gets a `<id>-base` row right
 * after it, the same setup started from that build (in a folder of its own), so two commits are
 * compared in one interleaved run, on the same noisy minute.
 */
function withBaseRows(rows, ids) {
  return rows.flatMap((row) => {
    if (!ids.includes(row.id)) return [row];
    const base = {
      id: `${row.id}-base`,
      name: `${row.name}, from the build at GW_BENCH_BASE`,
      target: { of: row.id, rps: 0.97 },
      prepare(ctx) {
        const root = process.env.GW_BENCH_BASE;
        if (!root) return { skip: 'set GW_BENCH_BASE to a built checkout' };
        return row.prepare({ ...ctx, root, workDir: path.join(ctx.workDir, 'base') });
      },
    };
    return [row, base];
  });
}

export const setups = withBaseRows(
  [
    {
      id: 'direct',
      name: 'upstream directly',
      async prepare(ctx) {
        return { url: `${ctx.upUrl}${benchPath}` };
      },
    },
    {
      id: 'bare',
      name: 'bare http-proxy-3 + keep-alive agent',
      prepare: (ctx) => startProxyScript(ctx, 'bare-proxy.mjs'),
    },
    {
      id: 'raw',
      name: 'node:http client + server, keep-alive agent (no library)',
      prepare: (ctx) => startProxyScript(ctx, 'raw-proxy.mjs'),
    },
    {
      id: 'raw-lean',
      name: "node:http client as gw's forwarder uses it (flat header lists, no pipe without a body)",
      prepare: (ctx) => startProxyScript(ctx, 'raw-proxy.mjs', { RAW_MODE: 'lean' }),
    },
    // undici 7 as the client, by each API a proxy could use (undici-proxy.mjs); `raw` is the same
    // server with node:http's client. Bench-only rows: they decide which client gw forwards with.
    {
      id: 'undici',
      name: 'undici 7 Pool.dispatch, handler API, node:http server (no library)',
      prepare: (ctx) => startProxyScript(ctx, 'undici-proxy.mjs', { UNDICI_MODE: 'dispatch' }),
    },
    {
      id: 'undici-legacy',
      name: 'undici 7 Pool.dispatch, legacy handler API (raw headers)',
      prepare: (ctx) => startProxyScript(ctx, 'undici-proxy.mjs', { UNDICI_MODE: 'legacy' }),
    },
    {
      id: 'undici-request',
      name: 'undici 7 Pool.request, answer body piped',
      prepare: (ctx) => startProxyScript(ctx, 'undici-proxy.mjs', { UNDICI_MODE: 'request' }),
    },
    {
      id: 'undici-stream',
      name: 'undici 7 Pool.stream into the client response',
      prepare: (ctx) => startProxyScript(ctx, 'undici-proxy.mjs', { UNDICI_MODE: 'stream' }),
    },
    {
      id: 'gw',
      name: 'gw, no policies (4 routes, plain log)',
      target: { of: 'bare', rps: 0.95 },
      async prepare(ctx) {
        return startGw(ctx, 'gw', fourRoutes(ctx.upUrl));
      },
    },
    {
      id: 'chain',
      name: 'gw, full chain: API key + rate limit + request id + JSON log + metrics',
      target: { of: 'bare', rps: 0.85, p99: 1.5 },
      async prepare(ctx) {
        const stateDir = path.join(ctx.workDir, 'chain', 'state');
        const { key } = gwJson(ctx, ['keys', 'create', '--name', 'bench', '--state-dir', stateDir]);
        return fullChain(ctx, 'chain', 'apiKey', { 'X-API-Key': key });
      },
    },
    {
      id: 'chain-trace',
      name: 'gw, full chain + span export (telemetry.otlp to a sink that discards)',
      target: { of: 'chain', rps: 0.85 },
      prepare: (ctx) => chainTrace(ctx, 'chain-trace'),
    },
    {
      id: 'chain-inspect',
      name: 'gw, full chain + body inspection (inspect.bodies on, at its defaults: 64kb a body, 32mb in all)',
      target: { of: 'chain', rps: 0.9 },
      async prepare(ctx) {
        const stateDir = path.join(ctx.workDir, 'chain-inspect', 'state');
        const { key } = gwJson(ctx, ['keys', 'create', '--name', 'bench', '--state-dir', stateDir]);
        // --log-format json to a pipe leaves bodies off (as for `chain`): the config turns them on.
        const row = await fullChain(
          ctx,
          'chain-inspect',
          'apiKey',
          { 'X-API-Key': key },
          { inspect: { bodies: true } },
        );
        const kept = await fetch(`${new URL(row.url).origin}/__gw/requests?last=1`).then((r) => r.json());
        if (!(kept.requests?.[0]?.answerBytes > 0)) row.notes.push('inspect: the answer body was not kept');
        return row;
      },
    },
    {
      id: 'chain-redis',
      name: 'gw, full chain with limits and keys in Redis (state.store redis)',
      target: { of: 'chain', rps: 0.6 },
      async prepare(ctx) {
        if (spawnSync('redis-server', ['--version']).error) return { skip: 'redis-server is not installed' };
        const redisPort = await ctx.freePort();
        // On the proxy's core: the Redis round trip per request is part of what this row costs.
        await ctx.start(
          1,
          'redis-server',
          ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
          {},
          { port: redisPort },
        );
        const state = { store: 'redis', url: `redis://127.0.0.1:${redisPort}`, prefix: 'bench:' };
        const dir = path.join(ctx.workDir, 'chain-redis-cli');
        await mkdir(dir, { recursive: true });
        const file = path.join(dir, 'gateway.config.json');
        await writeFile(file, JSON.stringify({ state }));
        const { key } = gwJson(ctx, ['keys', 'create', '--name', 'bench', '--config', file]);
        return fullChain(ctx, 'chain-redis', 'apiKey', { 'X-API-Key': key }, { state });
      },
    },
    {
      id: 'jwt',
      name: 'gw, full chain with JWT instead of an API key',
      target: { of: 'bare', rps: 0.75 },
      async prepare(ctx) {
        const stateDir = path.join(ctx.workDir, 'jwt', 'state');
        const { token } = gwJson(ctx, [
          'token',
          'issue',
          '--sub',
          'bench',
          '--ttl',
          '2h',
          '--state-dir',
          stateDir,
        ]);
        return fullChain(ctx, 'jwt', 'jwt', { Authorization: `Bearer ${token}` });
      },
    },
    {
      id: 'routes-1000',
      name: 'gw, no policies, 1,000 routes',
      target: { of: 'gw', rps: 0.9 },
      async prepare(ctx) {
        return startGw(ctx, 'routes-1000', thousandRoutes(ctx.upUrl));
      },
    },
    {
      id: 'cache',
      name: 'gw, cached route (every request a hit)',
      async prepare(ctx) {
        if (!/\bcache:/.test(await schemaText(ctx)))
          return { skip: 'no `cache` key in src/config/schema.ts yet' };
        const gw = await startGw(ctx, 'cache', fourRoutes(ctx.upUrl, { cache: { ttl: '1h' } }));
        const notes = [await probe(gw.url, {}, 200, 'cache')].filter(Boolean);
        return { url: gw.url, pid: gw.pid, notes };
      },
    },
    {
      id: 'aggregate',
      name: 'gw, aggregated route (two upstream calls merged)',
      async prepare(ctx) {
        if (!/\baggregate:/.test(await schemaText(ctx)))
          return { skip: 'no `aggregate` key in src/config/schema.ts yet' };
        const config = fourRoutes(ctx.upUrl);
        config.routes[1] = {
          path: '/api/orders/:id',
          aggregate: { parts: { a: { service: 'up', path: '/a' }, b: { service: 'up', path: '/b' } } },
        };
        const gw = await startGw(ctx, 'aggregate', config);
        const notes = [await probe(gw.url, {}, 200, 'aggregate')].filter(Boolean);
        return { url: gw.url, pid: gw.pid, notes };
      },
    },
    {
      id: 'dashboard',
      name: 'gw, no policies, dashboard open (TTY)',
      target: { of: 'gw', rps: 0.95 },
      async prepare(ctx) {
        if (spawnSync('script', ['--version']).error)
          return { skip: '`script` (util-linux) is not installed' };
        return startGw(ctx, 'dashboard', fourRoutes(ctx.upUrl), { tty: true });
      },
    },
    ...grpcSetups(),
    ...httpsSetups({ startGw, fourRoutes, measured }),
    ...openapiSetups({ startGw, fourRoutes }),
  ],
  ['gw', 'chain', 'chain-trace', 'grpc-gw', 'grpc-stream-gw'],
);

/** The bench's gRPC upstream (grpc-upstream.mjs), one process shared by the gRPC rows. */
function grpcUpstream(ctx) {
  ctx.grpcUpstream ??= ctx.freePort().then(async (port) => {
    const script = path.join(ctx.root, 'scripts/bench/grpc-upstream.mjs');
    await ctx.start(0, process.execPath, [script], { PORT: String(port) }, { port });
    return `http://127.0.0.1:${port}`;
  });
  return ctx.grpcUpstream;
}

/** A custom load loop with the CPU the measured process spent per request, as load() reports. */
function measured(pid, run) {
  return async (seconds) => {
    const before = cpuSeconds(pid);
    const result = await run(seconds);
    const after = cpuSeconds(pid);
    const cpuUs = before === undefined || !result.requests ? NaN : ((after - before) * 1e6) / result.requests;
    return { ...result, cpuUs };
  };
}

async function gwForGrpc(ctx, id) {
  const up = await grpcUpstream(ctx);
  const config = {
    services: { bench: { targets: [up], protocol: 'grpc' } },
    routes: [{ path: '/bench.Bench', service: 'bench' }],
  };
  const gw = await startGw(ctx, id, config);
  return { pid: gw.pid, target: `http://127.0.0.1:${gw.port}` };
}

/** 100 MB through one server-streaming call (reported in MB/s in the req/s column). */
const STREAM_BYTES = 100 * 1024 * 1024;

/** Issue 13's rows: gRPC through gw vs directly, and HTTP/2 vs HTTP/1.1 clients on a plain route. */
function grpcSetups() {
  return [
    {
      id: 'grpc-direct',
      name: 'gRPC unary calls/s, grpc-js client → server directly (50 concurrent calls)',
      async prepare(ctx) {
        const up = await grpcUpstream(ctx);
        return { load: measured(undefined, (seconds) => grpcUnaryLoad(up, seconds, 50)) };
      },
    },
    {
      id: 'grpc-gw',
      name: 'gRPC unary calls/s through gw (50 concurrent calls)',
      target: { of: 'grpc-direct', rps: 0.5 },
      async prepare(ctx) {
        const { pid, target } = await gwForGrpc(ctx, 'grpc-gw');
        return { pid, load: measured(pid, (seconds) => grpcUnaryLoad(target, seconds, 50)) };
      },
    },
    {
      // The floor under gw's pass-through: node:http2's compatibility server relaying to one
      // client session, nothing else (grpc-h2-proxy.mjs). Not a gateway; what node:http2 costs.
      id: 'grpc-h2-proxy',
      name: 'gRPC unary calls/s through a bare node:http2 relay (50 concurrent calls)',
      async prepare(ctx) {
        const up = await grpcUpstream(ctx);
        const port = await ctx.freePort();
        const script = path.join(ctx.root, 'scripts/bench/grpc-h2-proxy.mjs');
        const env = { PORT: String(port), UP_PORT: new URL(up).port, H2_PROXY_MODE: 'compat' };
        const relay = await ctx.start(1, process.execPath, [script], env, { port });
        const pid = relay.child.pid;
        const target = `http://127.0.0.1:${port}`;
        return { pid, load: measured(pid, (seconds) => grpcUnaryLoad(target, seconds, 50)) };
      },
    },
    {
      id: 'grpc-stream-direct',
      name: 'gRPC 100 MB server stream directly (MB/s in the req/s column; p99 = its ms)',
      async prepare(ctx) {
        const up = await grpcUpstream(ctx);
        return { load: measured(undefined, () => grpcStreamLoad(up, STREAM_BYTES)) };
      },
    },
    {
      id: 'grpc-stream-gw',
      name: 'gRPC 100 MB server stream through gw (MB/s in the req/s column; p99 = its ms)',
      target: { of: 'grpc-stream-direct', rps: 0.7 },
      async prepare(ctx) {
        const { pid, target } = await gwForGrpc(ctx, 'grpc-stream-gw');
        return { pid, load: measured(pid, () => grpcStreamLoad(target, STREAM_BYTES)) };
      },
    },
    {
      id: 'gw-h1-clients',
      name: `gw, no policies, HTTP/1.1 clients (${hasH2load ? 'h2load --h1' : 'the default load tool'})`,
      async prepare(ctx) {
        const gw = await startGw(ctx, 'gw-h1-clients', fourRoutes(ctx.upUrl));
        if (!hasH2load) return { url: gw.url, pid: gw.pid };
        return {
          pid: gw.pid,
          load: measured(gw.pid, (seconds) => h2load(gw.url, seconds, 50, { h1: true })),
        };
      },
    },
    {
      id: 'gw-h2-clients',
      name: `gw, no policies, HTTP/2 clients with prior knowledge (${hasH2load ? 'h2load' : 'node:http2 loop'}, 50 connections)`,
      async prepare(ctx) {
        const gw = await startGw(ctx, 'gw-h2-clients', fourRoutes(ctx.upUrl));
        const run = hasH2load
          ? (seconds) => h2load(gw.url, seconds, 50)
          : (seconds) => http2Load(gw.url, seconds, 50);
        return { pid: gw.pid, load: measured(gw.pid, run) };
      },
    },
  ];
}
