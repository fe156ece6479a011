import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { startTestGateway } from '../helpers/gateway.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

function get(
  agent: http.Agent,
  base: string,
  path: string,
): Promise<{ status: number; body: string; connection: string | undefined }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    http
      .get({ host: url.hostname, port: url.port, path, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }),
        );
      })
      .on('error', reject);
  });
}

describe('graceful shutdown of the in-process gateway', () => {
  it('lets a keep-alive request in flight finish, then closes without waiting for the grace period', async () => {
    const held: Array<() => void> = [];
    const up = await startUpstream((req, res) => {
      if (req.url === '/api/slow') held.push(() => res.end('done'));
      else res.end('quick');
    });
    cleanup.push(() => up.close());
    const gw = await startTestGateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const agent = new http.Agent({ keepAlive: true });
    cleanup.push(async () => agent.destroy());
    // An idle keep-alive connection must not hold the shutdown either.
    expect((await get(agent, gw.url, '/api/quick')).body).toBe('quick');
    const inFlight = get(agent, gw.url, '/api/slow');
    await waitFor(() => held.length === 1);
    const started = Date.now();
    let closed = false;
    const closing = gw.close(20_000).then(() => (closed = true));
    await waitFor(() => gw.seen.some((e) => e.type === 'shutdown'));
    expect(closed).toBe(false);
    held[0]!();
    const answer = await inFlight;
    expect(answer).toMatchObject({ status: 200, body: 'done' });
    await closing;
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('closes open WebSockets when the grace period ends', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const gw = await startTestGateway({
      services: { s: { targets: [`http://127.0.0.1:${(server.address() as AddressInfo).port}`] } },
      routes: [{ path: '/ws', service: 's', websocket: true }],
    });
    const socket = new WebSocket(`${gw.url.replace('http', 'ws')}/ws`);
    cleanup.push(async () => socket.terminate());
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await gw.close(300);
    await closed;
    await waitFor(() => wss.clients.size === 0);
  });

  it('cuts requests still running when the grace period ends', async () => {
    const up = await startUpstream(() => undefined);
    cleanup.push(() => up.close());
    const gw = await startTestGateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const agent = new http.Agent({ keepAlive: false });
    const outcome = get(agent, gw.url, '/api/forever').then(
      () => 'answered',
      () => 'cut',
    );
    await waitFor(() => up.requests.length === 1);
    await gw.close(200);
    expect(await outcome).toBe('cut');
  });
});
