import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/upstream.js';
import { connectionCount, freePort, rawExchange, parseRawAnswer } from '../helpers/http.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

interface EchoServer {
  url: string;
  server: http.Server;
  /** Path and headers of every upgrade the upstream accepted. */
  upgrades: Array<{ url: string; headers: http.IncomingHttpHeaders }>;
  /** Plain HTTP requests it answered. */
  plain: Array<{ url: string; headers: http.IncomingHttpHeaders }>;
}

/** A WebSocket echo upstream on 127.0.0.1 (ws's own server). */
async function startEchoServer(): Promise<EchoServer> {
  const plain: EchoServer['plain'] = [];
  const server = http.createServer((req, res) => {
    plain.push({ url: req.url ?? '', headers: req.headers });
    res.end('plain http');
  });
  const wss = new WebSocketServer({ server });
  const upgrades: EchoServer['upgrades'] = [];
  wss.on('connection', (socket, req) => {
    upgrades.push({ url: req.url ?? '', headers: req.headers });
    socket.on('message', (data, isBinary) =>
      socket.send(isBinary ? data : `echo: ${data.toString()}`, { binary: isBinary }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, upgrades, plain };
}

const upgradeHeaders =
  'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

/** An upstream that accepts the connection and the upgrade request, and never answers it. */
async function startSilentUpgradeServer(): Promise<{ url: string; server: http.Server; upgrades: number }> {
  const server = http.createServer();
  const result = { url: '', server, upgrades: 0 };
  const sockets = new Set<net.Socket>();
  server.on('upgrade', (_req, socket: net.Socket) => {
    result.upgrades++;
    sockets.add(socket);
    // The server is half-open by default: close our side when the gateway closes its side.
    socket.on('end', () => socket.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    for (const socket of sockets) socket.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  result.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return result;
}

/** Statuses of the request-finished events so far (a WebSocket finishes when its socket closes). */
const finishedStatuses = (gw: TestGateway) =>
  gw.seen.flatMap((e) => (e.type === 'request-finished' ? [e.status] : []));

async function gatewayFor(target: string): Promise<TestGateway> {
  const gw = await startTestGateway({
    services: { live: { targets: [target] } },
    routes: [
      { path: '/ws', service: 'live', websocket: true, stripPrefix: '/ws' },
      { path: '/api', service: 'live' },
    ],
  });
  cleanup.push(() => gw.close());
  return gw;
}

function open(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  cleanup.push(async () => socket.terminate());
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The HTTP answer a refused upgrade got (ws reports it as 'unexpected-response'). */
function refusal(
  url: string,
): Promise<{ status: number; contentType: string | undefined; body: Record<string, unknown> }> {
  const socket = new WebSocket(url);
  cleanup.push(async () => socket.terminate());
  return new Promise((resolve, reject) => {
    socket.once('open', () => reject(new Error('the upgrade was accepted')));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          body: JSON.parse(body) as Record<string, unknown>,
        }),
      );
    });
    // A dropped socket shows up here instead of as an HTTP answer.
    socket.once('error', (error) => reject(error));
  });
}

describe('WebSocket upgrades through the gateway', () => {
  it('echoes text and binary messages on a route with websocket: true', async () => {
    const echo = await startEchoServer();
    const gw = await gatewayFor(echo.url);
    const socket = await open(`${gw.url.replace('http', 'ws')}/ws/chat?room=1`);
    const replies: Array<string | Buffer> = [];
    socket.on('message', (data, isBinary) => replies.push(isBinary ? (data as Buffer) : data.toString()));
    socket.send('hello');
    socket.send(Buffer.from([1, 2, 3]));
    await waitFor(() => replies.length === 2);
    expect(replies[0]).toBe('echo: hello');
    expect([...(replies[1] as Buffer)]).toEqual([1, 2, 3]);
    expect(echo.upgrades[0]!.url).toBe('/chat?room=1');
    expect(echo.upgrades[0]!.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(echo.upgrades[0]!.headers['x-request-id']).toBeTruthy();
    socket.close();
    await waitFor(async () => (await connectionCount(echo.server)) === 0);
    await waitFor(() => finishedStatuses(gw).length === 1);
    expect(finishedStatuses(gw)).toEqual([101]);
  });

  it('refuses an upgrade on a route without websocket: true with a 426 problem answer', async () => {
    const echo = await startEchoServer();
    const gw = await gatewayFor(echo.url);
    const answer = await refusal(`${gw.url.replace('http', 'ws')}/api/chat`);
    expect(answer.status).toBe(426);
    expect(answer.contentType).toBe('application/problem+json');
    expect(answer.body.code).toBe('GW_UPGRADE_NOT_ALLOWED');
    expect(echo.upgrades).toHaveLength(0);
    await waitFor(() => finishedStatuses(gw).length === 1);
    expect(finishedStatuses(gw)).toEqual([426]);
  });

  it('answers an upgrade on an unknown path with a 404 problem, not a dropped socket', async () => {
    const echo = await startEchoServer();
    const gw = await gatewayFor(echo.url);
    const answer = await refusal(`${gw.url.replace('http', 'ws')}/nowhere`);
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('GW_ROUTE_NOT_FOUND');
  });

  it('answers an upgrade to a down upstream with a 502 problem', async () => {
    const port = await freePort();
    const gw = await gatewayFor(`http://127.0.0.1:${port}`);
    const answer = await refusal(`${gw.url.replace('http', 'ws')}/ws/chat`);
    expect(answer.status).toBe(502);
    expect(answer.contentType).toBe('application/problem+json');
    expect(answer.body.code).toBe('GW_UPSTREAM_UNREACHABLE');
    await waitFor(() => finishedStatuses(gw).length === 1);
    expect(finishedStatuses(gw)).toEqual([502]);
  });

  it('an upstream that never answers the handshake gets a 504 after the route timeout', async () => {
    const silent = await startSilentUpgradeServer();
    const gw = await startTestGateway({
      services: { live: { targets: [silent.url] } },
      routes: [{ path: '/ws', service: 'live', websocket: true, timeout: '200ms' }],
    });
    cleanup.push(() => gw.close());
    const answer = parseRawAnswer(
      await rawExchange(gw.url, `GET /ws HTTP/1.1\r\nHost: localhost\r\n${upgradeHeaders}`),
    );
    expect(answer.status).toBe(504);
    expect(answer.json?.code).toBe('GW_UPSTREAM_TIMEOUT');
    await waitFor(async () => (await connectionCount(silent.server)) === 0);
  });

  it('a client that gives up during the handshake closes the upstream request', async () => {
    const silent = await startSilentUpgradeServer();
    const gw = await startTestGateway({
      services: { live: { targets: [silent.url] } },
      routes: [{ path: '/ws', service: 'live', websocket: true }],
    });
    cleanup.push(() => gw.close());
    const socket = net.connect(Number(new URL(gw.url).port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`GET /ws HTTP/1.1\r\nHost: localhost\r\n${upgradeHeaders}`);
    await waitFor(() => silent.upgrades === 1);
    socket.destroy();
    await waitFor(async () => (await connectionCount(silent.server)) === 0);
  });

  it("passes an upstream's own refusal of the upgrade through", async () => {
    const server = http.createServer();
    server.on('upgrade', (_req, socket: net.Socket) =>
      socket.end(
        'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope',
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const gw = await gatewayFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const raw = await rawExchange(gw.url, `GET /ws HTTP/1.1\r\nHost: localhost\r\n${upgradeHeaders}`);
    expect(raw).toMatch(/^HTTP\/1\.1 403 Forbidden/);
    expect(raw.endsWith('nope')).toBe(true);
    await waitFor(() => finishedStatuses(gw).length === 1);
    expect(finishedStatuses(gw)).toEqual([403]);
  });

  it('reaches a WebSocket service on ::1 through a localhost target', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`v6: ${data.toString()}`)));
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(0, '::1', () => resolve(true));
    });
    if (!listening) return; // no IPv6 loopback on this machine: nothing to prove
    cleanup.push(async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const gw = await gatewayFor(`http://localhost:${(server.address() as AddressInfo).port}`);
    const socket = await open(`${gw.url.replace('http', 'ws')}/ws`);
    const reply = new Promise<string>((resolve) =>
      socket.once('message', (data) => resolve(data.toString())),
    );
    socket.send('hi');
    expect(await reply).toBe('v6: hi');
  });

  it('an open WebSocket survives a reload; new upgrades follow the new config', async () => {
    const echo = await startEchoServer();
    const gw = await gatewayFor(echo.url);
    const socket = await open(`${gw.url.replace('http', 'ws')}/ws/live`);
    const replies: string[] = [];
    socket.on('message', (data) => replies.push(data.toString()));
    socket.send('before');
    await waitFor(() => replies.length === 1);
    await gw.reload({
      services: { live: { targets: [echo.url] } },
      routes: [{ path: '/ws', service: 'live', websocket: false }],
    });
    socket.send('after');
    await waitFor(() => replies.length === 2);
    expect(replies).toEqual(['echo: before', 'echo: after']);
    const refused = await refusal(`${gw.url.replace('http', 'ws')}/ws/live`);
    expect(refused.status).toBe(426);
  });

  it('serves an h2c upgrade request (curl --http2) as plain HTTP/1.1, without the Upgrade headers', async () => {
    const echo = await startEchoServer();
    const gw = await gatewayFor(echo.url);
    const raw = await rawExchange(
      gw.url,
      'GET /api/users HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n',
    );
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(raw.endsWith('plain http')).toBe(true);
    expect(echo.upgrades).toHaveLength(0);
    expect(echo.plain[0]!.url).toBe('/api/users');
    expect(echo.plain[0]!.headers.upgrade).toBeUndefined();
    expect(echo.plain[0]!.headers['http2-settings']).toBeUndefined();
  });

  it('a raw upgrade with a traversal path is answered 400 on the socket', async () => {
    const echo = await startEchoServer();
    const gw = await gatewayFor(echo.url);
    const raw = await rawExchange(
      gw.url,
      'GET /ws/../../x HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    const answer = parseRawAnswer(raw);
    expect(answer.status).toBe(400);
    expect(answer.json?.code).toBe('GW_BAD_PATH');
    expect(echo.upgrades).toHaveLength(0);
  });
});
