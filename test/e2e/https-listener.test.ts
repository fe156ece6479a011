import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { startGateway, type StartGatewayOptions } from '../../src/dev/start-gateway.js';
import { tlsPaths } from '../../src/tls/tls-home.js';
import { freePort } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';

/**
 * With `tls` (or `--https`) the port serves TLS from gw's local CA, ALPN choosing h2 or
 * http/1.1; real clients trust only that CA (a fresh GW_HOME per file).
 */
const { upstream, cleanup } = useTestServers();
let home: string;
let ca: string;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'gw-home-'));
  process.env.GW_HOME = home;
});
afterAll(async () => {
  delete process.env.GW_HOME;
  await rm(home, { recursive: true, force: true });
});

async function start(config: GatewayConfigInput, extra: Partial<StartGatewayOptions> = {}) {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'gw-state-'));
  const gw = await startGateway({
    config,
    port: 0,
    host: '127.0.0.1',
    stateDir,
    configDir: stateDir,
    ...extra,
  });
  cleanup.push(async () => {
    await gw.close(500);
    await rm(stateDir, { recursive: true, force: true });
  });
  ca = await readFile(tlsPaths().caCert, 'utf8');
  return gw;
}

function httpsGet(port: number, servername: string, pathname: string) {
  return new Promise<{ status: number; body: string; protocol: string | false | null }>((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1',
      port,
      servername,
      path: pathname,
      ca,
      // Offers http/1.1 in ALPN (Node's https client offers nothing by default).
      agent: new https.Agent({ ALPNProtocols: ['http/1.1'], keepAlive: false }),
      headers: { host: `${servername}:${port}` },
    });
    req.on('response', (res) => {
      const protocol = (res.socket as TLSSocket).alpnProtocol;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, protocol }));
    });
    req.on('error', reject);
    req.end();
  });
}

function h2Get(port: number, servername: string, pathname: string) {
  return new Promise<{ status: number; body: string; protocol: string | undefined }>((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca, servername });
    session.on('error', reject);
    const stream = session.request({ ':path': pathname, ':authority': `${servername}:${port}` });
    let head: http2.IncomingHttpHeaders = {};
    let body = '';
    stream.on('response', (h) => (head = h));
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (body += chunk));
    stream.on('end', () => {
      resolve({ status: Number(head[':status']), body, protocol: session.alpnProtocol });
      session.close();
    });
    stream.on('error', reject);
  });
}

describe('HTTPS on the gateway port', () => {
  it('serves h2 and http/1.1 over TLS with a leaf from the local CA; the URL is https://', async () => {
    const up = await upstream();
    const gw = await start({
      tls: true,
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    expect(gw.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const one = await httpsGet(gw.port, 'localhost', '/api/one');
    expect([one.status, one.protocol]).toEqual([200, 'http/1.1']);
    const two = await h2Get(gw.port, 'app.localhost', '/api/two');
    expect([two.status, two.protocol]).toEqual([200, 'h2']);
    expect(up.requests.map((r) => [r.url, r.headers['x-forwarded-proto']])).toEqual([
      ['/api/one', 'https'],
      ['/api/two', 'https'],
    ]);
    expect(up.requests[1]!.headers.host).toBe(`app.localhost:${gw.port}`);
  });

  it('carries WebSocket upgrades over TLS HTTP/1.1', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo:${String(data)}`)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => (wss.close(), server.close(() => resolve()))));
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const gw = await start({
      tls: true,
      services: { s: { targets: [target] } },
      routes: [{ path: '/ws', service: 's', websocket: true }],
    });
    const socket = new WebSocket(`wss://localhost:${gw.port}/ws`, {
      ca,
      origin: `https://localhost:${gw.port}`,
    });
    cleanup.push(() => socket.terminate());
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send('hi');
    const reply = await new Promise<string>((resolve) =>
      socket.once('message', (data) => resolve(String(data))),
    );
    expect(reply).toBe('echo:hi');
  });

  it('turns HTTPS on with the https option (gw dev --https) and redirects plain HTTP from redirectHttpFrom with 308', async () => {
    const up = await upstream();
    const from = await freePort();
    const gw = await start(
      { services: { s: { targets: [up.url] } }, routes: [{ path: '/api', service: 's' }] },
      { https: true, redirectHttpFrom: from },
    );
    expect(gw.url.startsWith('https://')).toBe(true);
    const answer = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http
        .request(
          {
            host: '127.0.0.1',
            port: from,
            method: 'POST',
            path: '/api/x?y=1',
            headers: { host: `app.localhost:${from}` },
          },
          resolve,
        )
        .on('error', reject)
        .end(),
    );
    answer.resume();
    expect(answer.statusCode).toBe(308);
    expect(answer.headers.location).toBe(`https://app.localhost:${gw.port}/api/x?y=1`);
    expect((await httpsGet(gw.port, 'localhost', '/api/x')).status).toBe(200);
  });

  it('is reached by curl --cacert over h2 and over http/1.1', async () => {
    const up = await upstream();
    const gw = await start({
      tls: true,
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const caFile = tlsPaths().caCert;
    const curl = (flag: string) =>
      promisify(execFile)('curl', [
        '-s',
        flag,
        '--cacert',
        caFile,
        '--resolve',
        `app.localhost:${gw.port}:127.0.0.1`,
        '-o',
        '/dev/null',
        '-w',
        '%{http_version} %{http_code}',
        `https://app.localhost:${gw.port}/api/curl`,
      ]);
    expect((await curl('--http2')).stdout).toBe('2 200');
    expect((await curl('--http1.1')).stdout).toBe('1.1 200');
  });
});
