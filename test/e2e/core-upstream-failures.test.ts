import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { waitFor, type UpstreamHandler } from '../helpers/upstream.js';
import { freePort, request } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';

const { upstream, gateway } = useTestServers();

/** Answers after `ms` (or never, when the client goes away first). */
const slow =
  (ms: number): UpstreamHandler =>
  (_req, res) => {
    const timer = setTimeout(() => res.end('late'), ms);
    res.on('close', () => clearTimeout(timer));
  };

function expectProblem(
  res: { status: number; headers: http.IncomingHttpHeaders; json: Record<string, unknown> | undefined },
  status: number,
  code: string,
) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(res.json).toMatchObject({ status, code, type: `urn:gw:problem:${code}` });
  expect(res.headers['x-request-id']).toBeTruthy();
}

describe('upstream failures answer problem+json with the right status and code', () => {
  it('connection refused → 502 GW_UPSTREAM_UNREACHABLE naming the host and the service', async () => {
    const port = await freePort();
    const gw = await gateway({
      services: { orders: { targets: [`http://127.0.0.1:${port}`] } },
      routes: [{ path: '/api/orders', service: 'orders' }],
    });
    const res = await request(gw.url, '/api/orders');
    expectProblem(res, 502, 'GW_UPSTREAM_UNREACHABLE');
    expect(res.json!.hint).toBe(`nothing is listening on 127.0.0.1:${port} — is orders running?`);
    const finished = gw.seen.find((e) => e.type === 'request-finished');
    expect(finished).toMatchObject({ status: 502, target: `http://127.0.0.1:${port}`, service: 'orders' });
  });

  it('a route timeout → 504 GW_UPSTREAM_TIMEOUT, and the upstream request is closed', async () => {
    const up = await upstream(slow(20_000));
    const closed: string[] = [];
    up.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) =>
      res.on('close', () => closed.push(req.url ?? '')),
    );
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/slow', service: 's', timeout: '200ms' }],
    });
    const started = Date.now();
    const res = await request(gw.url, '/slow');
    expectProblem(res, 504, 'GW_UPSTREAM_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(res.json!.detail).toContain('200 ms');
    await waitFor(() => closed.length === 1);
  });

  it('the timeout also holds for a request that sent Expect: 100-continue (curl does for large bodies)', async () => {
    const up = await upstream(slow(20_000));
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/upload', service: 's', timeout: '200ms' }],
    });
    const body = 'x'.repeat(2048);
    const res = await request(gw.url, '/upload', {
      method: 'POST',
      body,
      headers: { expect: '100-continue', 'content-length': body.length },
    });
    expectProblem(res, 504, 'GW_UPSTREAM_TIMEOUT');
    await waitFor(() => up.requests.length === 1);
    expect(up.requests[0]!.body).toBe(body);
  });

  it('a service timeout → 504 when the route sets none; a route timeout overrides it', async () => {
    const up = await upstream(slow(1_500));
    const gw = await gateway({
      services: { s: { targets: [up.url], timeout: '150ms' } },
      routes: [
        { path: '/svc', service: 's' },
        { path: '/patient', service: 's', timeout: '10s' },
      ],
    });
    const res = await request(gw.url, '/svc');
    expectProblem(res, 504, 'GW_UPSTREAM_TIMEOUT');
    expect(res.json!.detail).toContain('150 ms');
    const patient = await request(gw.url, '/patient');
    expect(patient.status).toBe(200);
    expect(patient.body).toBe('late');
  });

  it('no healthy target → 503 GW_NO_HEALTHY_TARGET once the health check marks it down, and back up after', async () => {
    let status = 200;
    const up = await upstream((req, res) => {
      res.writeHead(req.url === '/health' ? status : 200);
      res.end('ok');
    });
    const gw = await gateway({
      services: {
        s: { targets: [up.url], healthCheck: { path: '/health', interval: '50ms', unhealthyThreshold: 1 } },
      },
      routes: [{ path: '/api', service: 's' }],
    });
    expect((await request(gw.url, '/api')).status).toBe(200);
    status = 500;
    await waitFor(() => gw.seen.some((e) => e.type === 'target-health' && !e.healthy));
    const apiCallsBefore = up.requests.filter((r) => r.url !== '/health').length;
    const res = await request(gw.url, '/api');
    expectProblem(res, 503, 'GW_NO_HEALTHY_TARGET');
    expect(up.requests.filter((r) => r.url !== '/health')).toHaveLength(apiCallsBefore);
    const health = await request(gw.url, '/__gw/health');
    expect(health.json).toMatchObject({ status: 'degraded', services: { s: { healthy: false } } });
    status = 200;
    await waitFor(() => gw.seen.some((e) => e.type === 'target-health' && e.healthy));
    expect((await request(gw.url, '/api')).status).toBe(200);
  });

  it('passive health: a target that refuses connections is taken out after `failures` 502s', async () => {
    const up = await upstream();
    const dead = `http://127.0.0.1:${await freePort()}`;
    const gw = await gateway({
      services: { s: { targets: [up.url, dead], passiveHealth: { failures: 2, cooldown: '1m' } } },
      routes: [{ path: '/api', service: 's' }],
    });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await request(gw.url, '/api')).status);
    // At most `failures` clients see the refusal (none, where a retry policy moves them on).
    expect(statuses.filter((s) => s === 502).length).toBeLessThanOrEqual(2);
    expect(statuses.slice(-6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(gw.seen.filter((e) => e.type === 'target-health')).toEqual([
      expect.objectContaining({ service: 's', target: dead, healthy: false }),
    ]);
    const health = await request(gw.url, '/__gw/health');
    expect(health.json).toMatchObject({ status: 'ok', services: { s: { healthy: true } } });
  });

  it('a service mixing http and https targets uses the right agent for each', async () => {
    const up = await upstream();
    const tls = `https://127.0.0.1:${await freePort()}`;
    const gw = await gateway({
      services: { s: { targets: [up.url, tls] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const first = await request(gw.url, '/api');
    const second = await request(gw.url, '/api');
    expect(first.status).toBe(200);
    // Nothing listens there: a refused TLS connect, not an http agent asked to speak https.
    expectProblem(second, 502, 'GW_UPSTREAM_UNREACHABLE');
  });

  it('an upstream that closes the socket before answering → 502 GW_UPSTREAM_RESET', async () => {
    const up = await upstream((req) => req.socket.destroy());
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const res = await request(gw.url, '/api');
    expectProblem(res, 502, 'GW_UPSTREAM_RESET');
    expect(res.json!.hint).toContain('s closed the connection');
  });

  it.each([301, 307, 400, 401, 404, 409, 418, 422, 500, 502, 503, 504])(
    'upstream %i passes through untouched',
    async (status) => {
      const body = JSON.stringify({ mine: true, status });
      const up = await upstream((_req, res) => {
        res.writeHead(status, {
          'content-type': 'application/vnd.mine+json',
          'x-upstream': 'yes',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      });
      const gw = await gateway({
        services: { s: { targets: [up.url] } },
        routes: [{ path: '/api', service: 's' }],
      });
      const res = await request(gw.url, '/api');
      expect(res.status).toBe(status);
      expect(res.body).toBe(body);
      expect(res.headers['content-type']).toBe('application/vnd.mine+json');
      expect(res.headers['x-upstream']).toBe('yes');
    },
  );
});
