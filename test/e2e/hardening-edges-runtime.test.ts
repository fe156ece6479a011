import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { listeningLine, spawnGw } from '../helpers/gw-process.js';
import { createProject } from '../helpers/project.js';
import { request } from '../helpers/http.js';
import { startTestGateway } from '../helpers/gateway.js';
import { startTestRedis } from '../helpers/redis.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';

/**
 * Issue 12 item 10, the parts about a running gw: what /__gw/health says while its Redis is gone
 * (a real redis-server, killed and started again), and what open WebSockets get on SIGTERM (a real
 * `gw dev` process, needs `npm run build`).
 */

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('/__gw/health with state shared through Redis', () => {
  it('answers 503 with the store down and status degraded while Redis is gone, and ok once it is back', async () => {
    const redis = await startTestRedis();
    cleanup.push(() => redis.stop());
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const gw = await startTestGateway({
      state: { store: 'redis', url: redis.url, prefix: `health-${process.pid}` },
      services: { api: { targets: [up.url] } },
      routes: [{ path: '/api', service: 'api', rateLimit: { limit: 100, window: '1m' } }],
    });
    cleanup.push(() => gw.close());
    expect((await request(gw.url, '/api/x')).status).toBe(200);
    const before = await request(gw.url, '/__gw/health');
    expect(before.status).toBe(200);
    expect(before.json).toMatchObject({ status: 'ok', store: { kind: 'redis', status: 'up' } });

    await redis.kill();
    await waitFor(
      async () => (await request(gw.url, '/__gw/health')).status === 503,
      15_000,
      'health 503',
      50,
    );
    const during = await request(gw.url, '/__gw/health');
    expect(during.json).toMatchObject({ status: 'degraded', store: { kind: 'redis', status: 'down' } });

    await redis.restart();
    await waitFor(
      async () => (await request(gw.url, '/__gw/health')).status === 200,
      15_000,
      'health 200',
      50,
    );
    expect((await request(gw.url, '/__gw/health')).json).toMatchObject({
      status: 'ok',
      store: { status: 'up' },
    });
  });
});

describe('SIGTERM with WebSockets open', () => {
  it('sends 1001 (going away) to the browser and the upstream at once instead of dropping them after the grace', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    const upstreamCloses: number[] = [];
    wss.on('connection', (socket) => {
      socket.on('message', (data) => socket.send(`echo: ${data.toString()}`));
      socket.on('close', (code) => upstreamCloses.push(code));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const project = await createProject({
      'gateway.config.json': JSON.stringify({
        port: 0,
        // Longer than the test may take: a close only after the grace fails it.
        server: { shutdownGrace: '60s' },
        services: { live: { targets: [`http://127.0.0.1:${(server.address() as AddressInfo).port}`] } },
        routes: [{ path: '/ws', service: 'live', websocket: true }],
      }),
    });
    cleanup.push(() => project.cleanup());
    const gw = spawnGw(['dev', '--no-dashboard', '--port', '0'], { cwd: project.dir });
    cleanup.push(() => gw.stop());
    const [, url] = await gw.waitForOutput(listeningLine);

    const socket = new WebSocket(`${url!.replace('http', 'ws')}/ws`);
    cleanup.push(async () => socket.terminate());
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    // A message in each direction first: the close must come on a frame boundary.
    const echoed = new Promise<string>((resolve) =>
      socket.once('message', (data) => resolve(data.toString())),
    );
    socket.send('x'.repeat(70_000));
    expect(await echoed).toHaveLength(70_006);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    process.kill(gw.child.pid!, 'SIGTERM');
    expect(await closed).toEqual({ code: 1001, reason: 'gw is shutting down' });
    await waitFor(() => upstreamCloses.length === 1, 15_000);
    expect(upstreamCloses).toEqual([1001]);
    expect(await gw.exited).toBe(0);
  });
});
