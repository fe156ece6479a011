import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listeningLine, spawnGw } from '../helpers/gw-process.js';
import { sleep } from '../helpers/wait.js';
import { createProject, repoRoot } from '../helpers/project.js';
import { startUpstream } from '../helpers/upstream.js';

/**
 * Large bodies through `gw dev` must not make V8 mark the whole heap again and again
 * (src/proxy/bulk-transfer.ts): Node reads a socket into a fresh ArrayBuffer each time, and with
 * V8's own heap limit that churn started 3–6 full marks per 100 MB, more CPU than the relay.
 * `--trace-gc` prints one line per collection, so the test counts them.
 */

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});
beforeAll(() => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
});

/** Bytes of each transfer, and transfers per test. */
// Small enough to leave the suite's other files their CPU (the three tests run ~3 s each), large
// enough that V8's own limit brings several full collections: 3–6 a 100 MB.
const BYTES = 64 * 1024 * 1024;
const TRANSFERS = 5;
const identity = (bytes: Buffer) => bytes;
/** Raw bytes both ways: what is measured is the transport, not a codec. */
const download: grpc.MethodDefinition<Buffer, Buffer> = {
  path: '/bench.Bench/Stream',
  requestStream: false,
  responseStream: true,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
};

/**
 * The bench's gRPC upstream (a grpc-js server streaming the size it is asked for), in a process
 * of its own as in the bench: sharing the test's process slows the stream to where V8's own limit
 * happens to leave enough room.
 */
async function startStreamServer(): Promise<string> {
  const script = path.join(repoRoot, 'scripts', 'bench', 'grpc-upstream.mjs');
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanup.push(() => void child.kill());
  const [line] = (await once(child.stdout!.setEncoding('utf8'), 'data')) as [string];
  const port = /listening (\d+)/.exec(line)?.[1];
  if (!port) throw new Error(`the upstream printed ${line}`);
  return `http://127.0.0.1:${port}`;
}

/** One call on a channel of its own, as the bench's client makes them. */
async function downloadThrough(origin: string): Promise<number> {
  const client = new grpc.Client(new URL(origin).host, grpc.credentials.createInsecure());
  try {
    return await new Promise<number>((resolve, reject) => {
      let received = 0;
      const call = client.makeServerStreamRequest(
        download.path,
        download.requestSerialize,
        download.responseDeserialize,
        Buffer.from(String(BYTES)),
      );
      call.on('data', (chunk: Buffer) => (received += chunk.length));
      call.on('error', reject);
      call.on('end', () => resolve(received));
    });
  } finally {
    client.close();
  }
}

/** Writes `total` bytes in 64 KiB chunks, waiting for 'drain' when asked, then ends. */
function sendBytes(out: Writable, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let left = total;
  const more = () => {
    while (left > 0) {
      left -= chunk.length;
      if (!out.write(chunk)) return void out.once('drain', more);
    }
    out.end();
  };
  more();
}

/**
 * Runs `transfer` TRANSFERS times through a `gw dev` for `config` under `--trace-gc`, idle a
 * moment first as a developer's gw is (V8 tightens its limits once startup is over), and returns
 * how many full collections (Mark-Compact lines) gw printed after the first transfer: V8 applies
 * the growth at its next full collection, which the first may bring.
 */
async function marksAfterTheFirstTransfer(
  config: object,
  transfer: (url: string, index: number) => Promise<void>,
): Promise<number> {
  const project = await createProject({ 'gateway.config.json': JSON.stringify({ port: 0, ...config }) });
  cleanup.push(() => project.cleanup());
  const gw = spawnGw(['dev', '--config', 'gateway.config.json'], {
    cwd: project.dir,
    nodeArgs: ['--trace-gc'],
  });
  cleanup.push(() => gw.stop());
  const [, url] = await gw.waitForOutput(listeningLine);
  await sleep(3_000);
  await transfer(url!, 0);
  const startedAt = gw.stdout().length;
  for (let i = 1; i < TRANSFERS; i++) await transfer(url!, i);
  const during = gw.stdout().slice(startedAt);
  expect(during).toMatch(/Scavenge/); // the trace is on: young collections are printed
  return (during.match(/Mark-Compact/g) ?? []).length;
}

// One full collection is allowed in each test for V8's memory reducer, which may still mark once
// when it sees the process quiet.

describe('five gRPC server streams of 64 MB through gw dev', { timeout: 60_000 }, () => {
  it('arrive whole, with no full garbage collection after the first stream', async () => {
    const upstream = await startStreamServer();
    const config = {
      services: { stream: { targets: [upstream], protocol: 'grpc' } },
      routes: [{ path: '/bench.Bench/*', service: 'stream' }],
    };
    const marks = await marksAfterTheFirstTransfer(config, async (url) => {
      expect(await downloadThrough(url)).toBe(BYTES);
    });
    // Without the growth: 3–5 full collections a 100 MB stream.
    expect(marks).toBeLessThanOrEqual(1);
  });
});

/** One download; a POST goes on Node's client in gw, a GET on undici's. */
function downloadOver(url: string, method: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/files/big`, { method, agent }, (res) => {
      let received = 0;
      res.on('data', (chunk: Buffer) => (received += chunk.length));
      res.on('end', () => resolve(received));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

describe('five 64 MB HTTP/1.1 downloads through gw dev', { timeout: 60_000 }, () => {
  it("arrive whole, with no full garbage collection after the first, on undici and on Node's client", async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BYTES) });
      sendBytes(res, BYTES);
    });
    cleanup.push(() => upstream.close());
    const agent = new http.Agent({ keepAlive: true });
    cleanup.push(() => agent.destroy());
    const methods = ['GET', 'GET', 'POST', 'GET', 'POST'];
    const config = {
      services: { files: { targets: [upstream.url] } },
      routes: [{ path: '/files', service: 'files' }],
    };
    const marks = await marksAfterTheFirstTransfer(config, async (url, index) => {
      expect(await downloadOver(url, methods[index]!, agent)).toBe(BYTES);
    });
    // Without the growth: 3–6 full collections a 100 MB download.
    expect(marks).toBeLessThanOrEqual(1);
  });
});

/**
 * An HTTP/1.1 upstream that reads every request's body and answers how many bytes it got
 * (startUpstream would keep each body as a string).
 */
async function startUploadSink(): Promise<string> {
  const server = http.createServer((req, res) => {
    let received = 0;
    req.on('data', (chunk: Buffer) => (received += chunk.length));
    req.on('end', () => res.end(String(received)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** POSTs BYTES (backpressure kept); resolves with the upstream's count. */
function uploadOver(url: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}/sink/upload`,
      { method: 'POST', agent, headers: { 'content-length': String(BYTES) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (part: string) => (text += part));
        res.on('end', () => resolve(Number(text)));
      },
    );
    req.on('error', reject);
    sendBytes(req, BYTES);
  });
}

describe('five 64 MB HTTP/1.1 uploads through gw dev', { timeout: 60_000 }, () => {
  it('arrive whole, with no full garbage collection after the first', async () => {
    const upstream = await startUploadSink();
    const agent = new http.Agent({ keepAlive: true });
    cleanup.push(() => agent.destroy());
    const config = {
      services: { sink: { targets: [upstream] } },
      routes: [{ path: '/sink', service: 'sink' }],
    };
    const marks = await marksAfterTheFirstTransfer(config, async (url) => {
      expect(await uploadOver(url, agent)).toBe(BYTES);
    });
    // Without the growth: about 3 full collections a 100 MB upload.
    expect(marks).toBeLessThanOrEqual(1);
  });
});
