import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { startTestGateway } from '../helpers/gateway.js';
import { startTestIdp } from '../helpers/jwks-server.js';
import { runGw as runGwIn } from '../helpers/gw-process.js';
import { startUpstream } from '../helpers/upstream.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** A real `node bin/gw.js` process, run inside the state folder that every call names. */
const runGw = (args: string[]) => runGwIn(args, { cwd: args[args.indexOf('--state-dir') + 1]! });

describe('tokens from an external issuer (remote JWKS)', () => {
  it('accepts them beside gw tokens, and follows the issuer key rotation', async () => {
    const idp = await startTestIdp('orders-api');
    cleanup.push(() => idp.close());
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const gw = await startTestGateway({
      services: { orders: { targets: [up.url] } },
      identity: {
        jwt: {
          trust: [{ issuer: idp.issuer, audience: 'orders-api', jwksUri: idp.jwksUri, cooldown: '100ms' }],
        },
      },
      routes: [{ path: '/orders', service: 'orders', auth: 'jwt', scopes: ['orders:read'] }],
    });
    cleanup.push(() => gw.close());
    const call = (token: string) =>
      fetch(`${gw.url}/orders`, { headers: { authorization: `Bearer ${token}` } });

    expect((await call(await idp.sign({ sub: 'alice', scope: 'orders:read' }))).status).toBe(200);
    expect(up.requests.at(-1)!.headers['x-user-id']).toBe('alice');
    expect((await call(await idp.sign({ sub: 'bob', scope: 'orders:read' }))).status).toBe(200);
    expect(idp.fetches).toBe(1);

    await idp.rotate({ retire: true });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await call(await idp.sign({ sub: 'carol', scope: 'orders:read' }))).status).toBe(200);
    expect(idp.fetches).toBe(2);

    const wrongAudience = await call(
      await idp.sign({ sub: 'eve', scope: 'orders:read' }, { audience: 'billing' }),
    );
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.headers.get('www-authenticate')).toContain('another audience');

    // gw's own tokens keep working beside the external issuer.
    const own = (
      await runGw(['token', 'issue', '--sub', 'dev', '--scope', 'orders:read', '--state-dir', gw.stateDir])
    ).stdout.trim();
    expect((await call(own)).status).toBe(200);
  });
});

describe('WebSocket upgrades', () => {
  it('pass the same auth as plain requests', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (socket, req) => socket.send(`hello ${req.headers['x-client-id'] ?? 'nobody'}`));
    cleanup.push(() => new Promise((resolve) => wss.close(() => resolve())));
    const port = (wss.address() as AddressInfo).port;
    const gw = await startTestGateway({
      services: { live: { targets: [`http://127.0.0.1:${port}`] } },
      routes: [{ path: '/live', service: 'live', websocket: true, auth: 'apiKey' }],
    });
    cleanup.push(() => gw.close());
    const wsUrl = `${gw.url.replace('http', 'ws')}/live`;

    const refused = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(wsUrl);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('upgrade without a key was accepted')));
      ws.on('error', () => undefined);
    });
    expect(refused).toBe(401);

    const { key } = JSON.parse(
      (await runGw(['keys', 'create', '--name', 'ws-app', '--json', '--state-dir', gw.stateDir])).stdout,
    ) as { key: string };
    const greeting = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { headers: { 'x-api-key': key } });
      ws.on('message', (data) => {
        resolve(String(data));
        ws.close();
      });
      ws.on('error', reject);
    });
    expect(greeting).toBe('hello ws-app');
  });
});
