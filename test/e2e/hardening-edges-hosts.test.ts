import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { parseRawAnswer, rawExchange, request } from '../helpers/http.js';

/**
 * Issue 12 items 5 and 6, as an attacker's page would try them: a rebinding domain pointed at
 * 127.0.0.1 (the request then says `Host: evil.example`), and a cross-site WebSocket.
 */

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function upstream(): Promise<TestUpstream> {
  const up = await startUpstream();
  cleanup.push(() => up.close());
  return up;
}

async function gateway(config: GatewayConfigInput): Promise<TestGateway> {
  const gw = await startTestGateway(config);
  cleanup.push(() => gw.close());
  return gw;
}

/** A WebSocket echo upstream (ws's own server) that counts the upgrades it accepted. */
async function echoServer(): Promise<{ url: string; upgrades: number }> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  const result = { url: '', upgrades: 0 };
  wss.on('connection', (socket) => {
    result.upgrades++;
    socket.on('message', (data) => socket.send(`echo: ${data.toString()}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  result.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return result;
}

/** Opens a WebSocket; resolves with 101, or with the status and problem code of the refusal. */
function upgrade(url: string, origin?: string): Promise<{ status: number; code?: string }> {
  const socket = new WebSocket(url, origin === undefined ? {} : { origin });
  cleanup.push(async () => socket.terminate());
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ status: 101 }));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, code: (JSON.parse(body) as { code: string }).code }),
      );
    });
    socket.once('error', reject);
  });
}

const upgradeHead =
  'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

describe('DNS rebinding: only Hosts gw knows are answered', () => {
  it('refuses `Host: evil.example` on a route, on /__gw/* and on an upgrade with 403 GW_HOST_NOT_ALLOWED', async () => {
    const up = await upstream();
    const echo = await echoServer();
    const gw = await gateway({
      services: { api: { targets: [up.url] }, live: { targets: [echo.url] } },
      routes: [
        { path: '/api', service: 'api' },
        { path: '/ws', service: 'live', websocket: true },
      ],
    });
    for (const path of ['/api/users', '/__gw/routes', '/__gw/metrics', '/__gw/health']) {
      const res = await request(gw.url, path, { headers: { host: 'evil.example' } });
      expect(res.status, path).toBe(403);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.json!.code).toBe('GW_HOST_NOT_ALLOWED');
      expect(res.json!.hint).toContain('allowedHosts');
    }
    const refused = parseRawAnswer(
      await rawExchange(gw.url, `GET /ws HTTP/1.1\r\nHost: rebind.evil.example:8080\r\n${upgradeHead}`),
    );
    expect(refused.status).toBe(403);
    expect(refused.json!.code).toBe('GW_HOST_NOT_ALLOWED');
    expect(up.requests).toHaveLength(0);
    expect(echo.upgrades).toBe(0);
  });

  it('answers localhost, *.localhost and IP literals whatever their port', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { api: { targets: [up.url] } },
      routes: [{ path: '/api', service: 'api' }],
    });
    for (const host of [
      'localhost',
      'localhost:3000',
      'shop.localhost:5173',
      '127.0.0.1:1',
      '[::1]:8080',
      'LOCALHOST.',
    ]) {
      const res = await request(gw.url, '/api/ok', { headers: { host } });
      expect(res.status, host).toBe(200);
    }
    expect(up.requests).toHaveLength(6);
  });

  it('refuses a malformed Host (`a b`, `a/b@c`) with 400 GW_HOST_INVALID', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { api: { targets: [up.url] } },
      routes: [{ path: '/api', service: 'api' }],
    });
    for (const host of ['a b', 'a/b@c', 'localhost@evil.example']) {
      const answer = parseRawAnswer(
        await rawExchange(gw.url, `GET /api/x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
      );
      expect(answer.status, host).toBe(400);
      expect(answer.json!.code).toBe('GW_HOST_INVALID');
    }
    expect(up.requests).toHaveLength(0);
  });

  it('answers the names listed in allowedHosts, and any Host with allowedHosts: true', async () => {
    const up = await upstream();
    const routes = [{ path: '/api', service: 'api' }];
    const listed = await gateway({
      allowedHosts: ['api.test', '.example.test', '*.dev.test'],
      services: { api: { targets: [up.url] } },
      routes,
    });
    const statusFor = async (gw: TestGateway, host: string) =>
      (await request(gw.url, '/api/x', { headers: { host } })).status;
    expect(await statusFor(listed, 'api.test:8080')).toBe(200);
    expect(await statusFor(listed, 'example.test')).toBe(200);
    expect(await statusFor(listed, 'a.example.test')).toBe(200);
    expect(await statusFor(listed, 'b.dev.test')).toBe(200);
    expect(await statusFor(listed, 'dev.test')).toBe(403);
    expect(await statusFor(listed, 'api.test.evil.example')).toBe(403);
    expect(await statusFor(listed, 'notexample.test')).toBe(403);
    const open = await gateway({ allowedHosts: true, services: { api: { targets: [up.url] } }, routes });
    expect(await statusFor(open, 'evil.example')).toBe(200);
  });
});

describe('WebSocket Origin (RFC 6455 §10.2)', () => {
  it('refuses Origin http://evil.example and null when the route allows only http://localhost:5173', async () => {
    const echo = await echoServer();
    const gw = await gateway({
      services: { live: { targets: [echo.url] } },
      routes: [
        { path: '/ws', service: 'live', websocket: true, cors: { origins: ['http://localhost:5173'] } },
      ],
    });
    const url = `${gw.url.replace('http', 'ws')}/ws`;
    expect(await upgrade(url, 'http://evil.example')).toEqual({ status: 403, code: 'GW_ORIGIN_NOT_ALLOWED' });
    expect(await upgrade(url, 'null')).toEqual({ status: 403, code: 'GW_ORIGIN_NOT_ALLOWED' });
    expect(echo.upgrades).toBe(0);
    expect(await upgrade(url, 'http://localhost:5173')).toEqual({ status: 101 });
    // Not a browser: nothing to hijack.
    expect(await upgrade(url)).toEqual({ status: 101 });
    expect(echo.upgrades).toBe(2);
  });

  it('on a route without cors admits its own origin and allowedHosts origins, and refuses others', async () => {
    const echo = await echoServer();
    const gw = await gateway({
      services: { live: { targets: [echo.url] } },
      routes: [{ path: '/ws', service: 'live', websocket: true }],
    });
    const url = `${gw.url.replace('http', 'ws')}/ws`;
    expect(await upgrade(url, 'http://evil.example')).toEqual({ status: 403, code: 'GW_ORIGIN_NOT_ALLOWED' });
    expect(await upgrade(url, 'http://127.0.0.1.evil.example')).toEqual({
      status: 403,
      code: 'GW_ORIGIN_NOT_ALLOWED',
    });
    expect(await upgrade(url, 'null')).toEqual({ status: 403, code: 'GW_ORIGIN_NOT_ALLOWED' });
    expect(echo.upgrades).toBe(0);
    expect(await upgrade(url, gw.url)).toEqual({ status: 101 });
    expect(await upgrade(url, 'http://localhost:5173')).toEqual({ status: 101 });
    expect(echo.upgrades).toBe(2);
  });
});
