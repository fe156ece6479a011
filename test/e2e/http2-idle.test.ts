import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../../src/dev/start-gateway.js';
import { tlsPaths } from '../../src/tls/tls-home.js';
import { useTestServers } from '../helpers/test-servers.js';

/**
 * HTTP/2 sessions on gw's port are closed with GOAWAY (NO_ERROR) once idle for
 * server.keepAliveTimeout, over TLS and cleartext alike; a session waiting on a slow answer is not.
 */
const { upstream, cleanup } = useTestServers();
let home: string;
const idleMs = 300;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'gw-home-'));
  process.env.GW_HOME = home;
});
afterAll(async () => {
  delete process.env.GW_HOME;
  await rm(home, { recursive: true, force: true });
});

async function start(tls: boolean, upstreamDelayMs = 0) {
  const up = await upstream((_req, res) => {
    setTimeout(() => res.end('ok'), upstreamDelayMs);
  });
  const gw = await startGateway({
    config: {
      tls,
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/', service: 's' }],
      server: { keepAliveTimeout: idleMs },
    },
    port: 0,
    host: '127.0.0.1',
    stateDir: home,
    configDir: home,
  });
  cleanup.push(() => gw.close(500));
  const ca = tls ? await readFile(tlsPaths().caCert, 'utf8') : undefined;
  const session = http2.connect(gw.url, { ca, servername: 'localhost' });
  cleanup.push(() => void session.destroy());
  session.on('error', () => {});
  const goaway = new Promise<number>((resolve) => session.once('goaway', (code: number) => resolve(code)));
  const closed = new Promise<void>((resolve) => session.once('close', resolve));
  return { session, goaway, closed };
}

function get(session: http2.ClientHttp2Session): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': '/x' });
    let status = 0;
    let body = '';
    stream.on('response', (head) => (status = Number(head[':status'])));
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (body += chunk));
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
    stream.end();
  });
}

describe('idle HTTP/2 sessions', () => {
  it.each([
    ['over TLS (h2)', true],
    ['cleartext (h2c)', false],
  ])('are closed with GOAWAY after keepAliveTimeout %s', async (_name, tls) => {
    const { session, goaway, closed } = await start(tls);
    expect(await get(session)).toEqual({ status: 200, body: 'ok' });
    expect(await goaway).toBe(http2.constants.NGHTTP2_NO_ERROR);
    await closed;
  });

  it('stay open while a stream waits on a slow answer, then close once idle', async () => {
    const { session, goaway } = await start(true, idleMs * 4);
    let goneAway = false;
    void goaway.then(() => (goneAway = true));
    expect(await get(session)).toEqual({ status: 200, body: 'ok' });
    expect(goneAway).toBe(false);
    expect(await goaway).toBe(http2.constants.NGHTTP2_NO_ERROR);
  });
});
