import { describe, expect, it } from 'vitest';
import type { RequestFinished } from '../../src/events/gateway-events.js';
import { startJsonReporter } from '../../src/reporters/json-reporter.js';
import { type UpstreamHandler } from '../helpers/upstream.js';
import { freePort, request } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';
import type { TestGateway } from '../helpers/gateway.js';

const { cleanup, upstream, gateway } = useTestServers();

const answer =
  (status: number, delayMs = 0): UpstreamHandler =>
  (_req, res, body) => {
    const timer = setTimeout(() => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(`status ${status} body ${body}`);
    }, delayMs);
    res.on('close', () => clearTimeout(timer));
  };

const deadTarget = async () => `http://127.0.0.1:${await freePort()}`;
const finished = (gw: TestGateway) =>
  gw.seen.filter((e): e is RequestFinished => e.type === 'request-finished');
/** Keeps passive health out of the way: these tests are about retries alone. */
const noPassive = { failures: 1000, cooldown: '1m' };

describe('retries', () => {
  it('retries a GET on another target after a connect failure', async () => {
    const live = await upstream();
    const gw = await gateway({
      services: {
        pair: {
          targets: [await deadTarget(), live.url],
          retries: { attempts: 2, backoff: 0 },
          passiveHealth: noPassive,
        },
      },
      routes: [{ path: '/api', service: 'pair' }],
    });
    for (let i = 0; i < 4; i++) expect((await request(gw.url, '/api/x')).status).toBe(200);
    expect(live.requests).toHaveLength(4);
    const retries = finished(gw).map((e) => e.outcome.retries ?? 0);
    const errors = gw.seen.filter((e) => e.type === 'upstream-error');
    expect(retries.every((n) => n <= 1)).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.length).toBe(retries.reduce((a, b) => a + b, 0));
    expect(errors[0]).toMatchObject({ code: 'GW_UPSTREAM_UNREACHABLE', service: 'pair' });
  });

  it('retries a GET on another target after a 503, and the 503 never reaches the client', async () => {
    const failing = await upstream(answer(503));
    const good = await upstream(answer(200));
    const gw = await gateway({
      services: { pair: { targets: [failing.url, good.url], retries: { attempts: 1, backoff: '1ms' } } },
      routes: [{ path: '/api', service: 'pair' }],
    });
    const first = await request(gw.url, '/api');
    expect(first.status).toBe(200);
    expect(first.body).toBe('status 200 body ');
    expect((await request(gw.url, '/api')).status).toBe(200);
    expect(good.requests).toHaveLength(2);
    const retries = finished(gw).reduce((sum, e) => sum + (e.outcome.retries ?? 0), 0);
    expect(failing.requests.length).toBeGreaterThan(0);
    expect(failing.requests).toHaveLength(retries);
    // The retry carries the same request id to the next target.
    expect(good.requests[0]!.headers['x-request-id']).toBe(failing.requests[0]!.headers['x-request-id']);
  });

  it('does not retry a POST, neither on a 503 nor on a connect failure', async () => {
    const failing = await upstream(answer(503));
    const good = await upstream(answer(200));
    const gw = await gateway({
      services: {
        pair: { targets: [failing.url, good.url], retries: { attempts: 3, backoff: 0 } },
        dead: {
          targets: [await deadTarget(), good.url],
          retries: { attempts: 3, backoff: 0 },
          passiveHealth: noPassive,
        },
      },
      routes: [
        { path: '/api', service: 'pair' },
        { path: '/dead', service: 'dead' },
      ],
    });
    const post = await request(gw.url, '/api', { method: 'POST', body: 'order' });
    expect(post.status).toBe(503);
    expect(post.body).toBe('status 503 body order');
    expect(good.requests).toHaveLength(0);
    const refused = await request(gw.url, '/dead', { method: 'POST', body: 'order' });
    expect(refused.json?.code).toBe('GW_UPSTREAM_UNREACHABLE');
    expect(good.requests).toHaveLength(0);
  });

  it('does not retry once response bytes reached the client', async () => {
    const dying = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const good = await upstream(answer(200));
    const gw = await gateway({
      services: { pair: { targets: [dying.url, good.url], retries: { attempts: 3, backoff: 0 } } },
      routes: [{ path: '/api', service: 'pair' }],
    });
    await expect(request(gw.url, '/api')).rejects.toThrow();
    expect(dying.requests).toHaveLength(1);
    expect(good.requests).toHaveLength(0);
  });

  it('replays a small PUT body after a connect failure, but never retries a bodied PUT on a 503', async () => {
    const good = await upstream(answer(200));
    const failing = await upstream(answer(503));
    const gw = await gateway({
      services: {
        dead: {
          targets: [await deadTarget(), good.url],
          retries: { attempts: 2, backoff: 0 },
          passiveHealth: noPassive,
        },
        busy: { targets: [failing.url, good.url], retries: { attempts: 2, backoff: 0 } },
      },
      routes: [
        { path: '/dead', service: 'dead' },
        { path: '/busy', service: 'busy' },
      ],
    });
    const put = await request(gw.url, '/dead', {
      method: 'PUT',
      body: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expect(put.status).toBe(200);
    expect(good.requests[0]).toMatchObject({ method: 'PUT', body: 'hello' });

    const busy = await request(gw.url, '/busy', { method: 'PUT', body: 'again' });
    expect(busy.status).toBe(503);
    expect(failing.requests[0]?.body).toBe('again');
    expect(good.requests).toHaveLength(1);
  });

  it('a retry budget caps the retries during an outage', async () => {
    const a = await upstream(answer(503));
    const b = await upstream(answer(503));
    const gw = await gateway({
      services: {
        down: {
          targets: [a.url, b.url],
          retries: { attempts: 2, backoff: 0, budget: { ratio: 0.2, minRetries: 2, window: '1m' } },
        },
      },
      routes: [{ path: '/api', service: 'down' }],
    });
    for (let i = 0; i < 10; i++) expect((await request(gw.url, '/api')).status).toBe(503);
    // Without the budget: 10 × 3 tries. With it: 10 requests + 2 retries (the floor; 20% of 10 is 2).
    expect(a.requests.length + b.requests.length).toBe(12);
  });

  it("the route's timeout covers all tries", async () => {
    const a = await upstream(answer(503, 200));
    const b = await upstream(answer(503, 200));
    const gw = await gateway({
      services: { slow: { targets: [a.url, b.url], retries: { attempts: 5, backoff: 0 } } },
      routes: [{ path: '/api', service: 'slow', timeout: '300ms' }],
    });
    const started = performance.now();
    const res = await request(gw.url, '/api');
    expect([503, 504]).toContain(res.status);
    expect(a.requests.length + b.requests.length).toBeLessThanOrEqual(2);
    // Six tries of 200 ms each would take 1.2 s; the count above is the real proof.
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('JSON log lines carry the request id, route, target, status, durations and the retries', async () => {
    const live = await upstream();
    const gw = await gateway({
      services: {
        pair: {
          targets: [await deadTarget(), live.url],
          retries: { attempts: 1, backoff: 0 },
          passiveHealth: noPassive,
        },
      },
      routes: [{ name: 'pair-route', path: '/api', service: 'pair' }],
    });
    const lines: string[] = [];
    const stop = startJsonReporter({ events: gw.events, write: (line) => lines.push(line) });
    cleanup.push(async () => stop());
    const res = await request(gw.url, '/api', { headers: { 'x-request-id': 'req-42' } });
    expect(res.status).toBe(200);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requestLine = records.find((r) => r.event === 'request');
    expect(requestLine).toMatchObject({
      id: 'req-42',
      routeId: 'pair-route',
      target: live.url,
      status: 200,
      outcome: { retries: 1 },
    });
    expect(typeof requestLine?.durationMs).toBe('number');
    expect(typeof requestLine?.upstreamMs).toBe('number');
    expect(records).toContainEqual(
      expect.objectContaining({ event: 'upstream-error', id: 'req-42', code: 'GW_UPSTREAM_UNREACHABLE' }),
    );
  });
});
