import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startUpstream, waitFor, type TestUpstream, type UpstreamHandler } from '../helpers/upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { connectionCount, request } from '../helpers/http.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** Open TCP sockets in this process: the test's clients, both sides of the gateway, the upstream's. */
const openSockets = () => process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap').length;

interface Setup {
  up: TestUpstream;
  gw: TestGateway;
  /** Upstream responses that closed (finished or cut), by path. */
  closed: string[];
}

async function setup(handler: UpstreamHandler): Promise<Setup> {
  const up = await startUpstream(handler);
  cleanup.push(() => up.close());
  const closed: string[] = [];
  up.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) =>
    res.on('close', () => closed.push(req.url ?? '')),
  );
  const gw = await startTestGateway({
    services: { s: { targets: [up.url] } },
    routes: [{ path: '/api', service: 's' }],
  });
  cleanup.push(() => gw.close());
  return { up, gw, closed };
}

/** Sends a request, then destroys the client socket once the upstream has it. */
async function abortMidRequest(s: Setup, path: string): Promise<void> {
  const received = s.up.requests.length;
  const url = new URL(s.gw.url);
  const req = http.request({ host: url.hostname, port: url.port, path, agent: false });
  req.on('error', () => undefined);
  req.end();
  await waitFor(() => s.up.requests.length > received);
  req.destroy();
}

/** Resolves how the response ended: 'complete' or 'error' (never hangs: the test times out). */
function fetchOutcome(
  base: string,
  path: string,
): Promise<{ status: number; outcome: 'complete' | 'error'; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, outcome: 'complete', body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, outcome: 'error', body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const hangs: UpstreamHandler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.write('partial ');
};

const resetsMidBody: UpstreamHandler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
  res.write('first bytes ', () => setTimeout(() => res.socket?.destroy(), 20));
};

describe('client aborts and upstream resets', () => {
  const silent: UpstreamHandler = () => undefined;
  it.each([
    ['before the upstream answered', silent],
    ['while the body streams', hangs],
  ])('a client abort %s closes the upstream request', async (_when, handler) => {
    const s = await setup(handler);
    await abortMidRequest(s, '/api/abort');
    await waitFor(() => s.closed.includes('/api/abort'));
    await waitFor(async () => (await connectionCount(s.up.server)) === 0);
    await waitFor(() => s.gw.seen.some((e) => e.type === 'request-finished'));
    expect(s.gw.seen.find((e) => e.type === 'request-finished')).toMatchObject({
      path: '/api/abort',
      target: s.up.url,
    });
  });

  it('a client abort mid-upload closes the upstream request', async () => {
    let received = '';
    let upstreamClosed = false;
    const server = http.createServer((req) => {
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (received += chunk));
      req.on('close', () => (upstreamClosed = true));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const gw = await startTestGateway({
      services: { s: { targets: [`http://127.0.0.1:${(server.address() as { port: number }).port}`] } },
      routes: [{ path: '/api', service: 's' }],
    });
    cleanup.push(() => gw.close());
    const url = new URL(gw.url);
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: '/api/upload',
      method: 'POST',
      agent: false,
    });
    req.on('error', () => undefined);
    req.write('first half;');
    await waitFor(() => received === 'first half;');
    req.destroy();
    await waitFor(() => upstreamClosed);
    await waitFor(async () => (await connectionCount(server)) === 0);
  });

  it('an upstream reset mid-response closes the client response with an error, not a hang', async () => {
    const s = await setup(resetsMidBody);
    const result = await fetchOutcome(s.gw.url, '/api/reset');
    expect(result).toMatchObject({ status: 200, outcome: 'error' });
    expect(result.body).toBe('first bytes ');
  });

  it('20 client aborts and 20 upstream resets leak no socket and the gateway keeps serving', async () => {
    const baseline = openSockets();
    const aborts = await setup((req, res) => {
      if (req.url?.startsWith('/api/reset')) resetsMidBody(req, res, '');
      else if (req.url?.startsWith('/api/abort')) hangs(req, res, '');
      else res.end('fine');
    });
    for (let i = 0; i < 20; i++) await abortMidRequest(aborts, `/api/abort/${i}`);
    for (let i = 0; i < 20; i++)
      expect((await fetchOutcome(aborts.gw.url, `/api/reset/${i}`)).outcome).toBe('error');
    await waitFor(() => aborts.closed.length === 40, 15_000);
    await waitFor(async () => (await connectionCount(aborts.up.server)) === 0, 15_000);
    await waitFor(() => openSockets() <= baseline, 15_000);
    const health = await request(aborts.gw.url, '/__gw/health');
    expect(health.json).toMatchObject({
      status: 'ok',
      services: { s: { targets: [{ inFlight: 0, healthy: true }] } },
    });
    // Still serving, and passive health did not take the target out for the resets after headers.
    const res = await request(aborts.gw.url, '/api/after');
    expect(res.status).toBe(200);
    expect(res.body).toBe('fine');
  });
});
