import { describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import type { GatewayEvent } from '../../src/events/gateway-events.js';
import { waitFor } from '../helpers/upstream.js';
import { freePort, request } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';

const { upstream, gateway } = useTestServers();

/** An upstream whose answers the test switches: 'fail' → 500, 'ok' → 200. */
async function flakyUpstream() {
  const control = { mode: 'fail' as 'fail' | 'ok', hold: undefined as Promise<void> | undefined };
  const up = await upstream((_req, res) => {
    const answer = () => {
      res.writeHead(control.mode === 'ok' ? 200 : 500, { 'content-type': 'text/plain' });
      res.end(control.mode);
    };
    if (control.hold) void control.hold.then(answer);
    else answer();
  });
  return { up, control };
}

const breakerStates = (seen: GatewayEvent[]) =>
  seen.flatMap((event) => (event.type === 'breaker-state' ? [event.state] : []));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('circuit breaker', () => {
  it('opens after failureThreshold failures in a row and then fails fast without calling the upstream', async () => {
    const { up } = await flakyUpstream();
    const gw = await gateway({
      services: { flaky: { targets: [up.url], circuitBreaker: { failureThreshold: 3, cooldown: '30s' } } },
      routes: [{ path: '/api', service: 'flaky' }],
    });
    for (let i = 0; i < 3; i++) expect((await request(gw.url, '/api/x')).status).toBe(500);
    expect(breakerStates(gw.seen)).toEqual(['open']);

    const refused = await request(gw.url, '/api/x');
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.json).toMatchObject({ code: 'GW_CIRCUIT_OPEN', status: 503 });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(20);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(up.requests).toHaveLength(3);
    const finished = gw.seen.filter((e) => e.type === 'request-finished').at(-1);
    expect(finished).toMatchObject({ status: 503, outcome: { answeredBy: 'circuit-breaker' } });
  });

  it('counts consecutive failures only: a success in between resets the count', async () => {
    const { up, control } = await flakyUpstream();
    const gw = await gateway({
      services: { flaky: { targets: [up.url], circuitBreaker: { failureThreshold: 2, cooldown: '30s' } } },
      routes: [{ path: '/api', service: 'flaky' }],
    });
    expect((await request(gw.url, '/api')).status).toBe(500);
    control.mode = 'ok';
    expect((await request(gw.url, '/api')).status).toBe(200);
    control.mode = 'fail';
    expect((await request(gw.url, '/api')).status).toBe(500);
    expect(breakerStates(gw.seen)).toEqual([]);
    expect((await request(gw.url, '/api')).status).toBe(500);
    expect(breakerStates(gw.seen)).toEqual(['open']);
  });

  it('half-opens after the cooldown, re-opens on a failed probe and closes on a good one', async () => {
    const { up, control } = await flakyUpstream();
    const gw = await gateway({
      services: {
        flaky: {
          targets: [up.url],
          circuitBreaker: { failureThreshold: 2, cooldown: '200ms', halfOpenRequests: 1 },
        },
      },
      routes: [{ path: '/api', service: 'flaky' }],
    });
    await request(gw.url, '/api');
    await request(gw.url, '/api');
    expect(breakerStates(gw.seen)).toEqual(['open']);

    await sleep(250);
    expect((await request(gw.url, '/api')).status).toBe(500); // the probe fails
    expect(breakerStates(gw.seen)).toEqual(['open', 'half-open', 'open']);
    expect(up.requests).toHaveLength(3);

    control.mode = 'ok';
    await sleep(250);
    expect((await request(gw.url, '/api')).status).toBe(200); // the probe succeeds
    expect(breakerStates(gw.seen)).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
    for (let i = 0; i < 3; i++) expect((await request(gw.url, '/api')).status).toBe(200);
    expect(up.requests).toHaveLength(7);
  });

  it('lets only halfOpenRequests probes through while half-open', async () => {
    const { up, control } = await flakyUpstream();
    const gw = await gateway({
      services: {
        flaky: {
          targets: [up.url],
          circuitBreaker: { failureThreshold: 1, cooldown: '200ms', halfOpenRequests: 1 },
        },
      },
      routes: [{ path: '/api', service: 'flaky' }],
    });
    await request(gw.url, '/api');
    await sleep(250);
    control.mode = 'ok';
    let release!: () => void;
    control.hold = new Promise<void>((resolve) => (release = resolve));
    const probe = request(gw.url, '/api');
    await waitFor(() => up.requests.length === 2);
    const second = await request(gw.url, '/api');
    expect(second.status).toBe(503);
    expect(second.json?.code).toBe('GW_CIRCUIT_OPEN');
    release();
    expect((await probe).status).toBe(200);
    expect(breakerStates(gw.seen)).toEqual(['open', 'half-open', 'closed']);
  });

  it('counts connect failures per target and routes around an open breaker', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const live = await upstream();
    const gw = await gateway({
      services: {
        pair: {
          targets: [dead, live.url],
          circuitBreaker: { failureThreshold: 1, cooldown: '30s' },
          passiveHealth: { failures: 100, cooldown: '30s' },
        },
      },
      routes: [{ path: '/api', service: 'pair' }],
    });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(gw.url, '/api')).status);
    // The first request to the dead target fails (502) and opens its breaker; the rest go to the live one.
    expect(statuses.filter((s) => s === 502)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(gw.seen).toContainEqual(
      expect.objectContaining({ type: 'breaker-state', target: dead, state: 'open' }),
    );
  });

  it('counts a timeout as a failure', async () => {
    const slow = await upstream((_req, res) => {
      const timer = setTimeout(() => res.end('late'), 2000);
      res.on('close', () => clearTimeout(timer));
    });
    const gw = await gateway({
      services: {
        slow: {
          targets: [slow.url],
          timeout: '100ms',
          circuitBreaker: { failureThreshold: 1, cooldown: '30s' },
        },
      },
      routes: [{ path: '/api', service: 'slow' }],
    });
    expect((await request(gw.url, '/api')).json?.code).toBe('GW_UPSTREAM_TIMEOUT');
    expect((await request(gw.url, '/api')).json?.code).toBe('GW_CIRCUIT_OPEN');
    expect(slow.requests).toHaveLength(1);
  });

  it('opens on a failure ratio over the window', async () => {
    const { up, control } = await flakyUpstream();
    const gw = await gateway({
      services: {
        flaky: {
          targets: [up.url],
          circuitBreaker: {
            failureThreshold: 100,
            failureRatio: 0.5,
            window: '1m',
            minimumRequests: 4,
            cooldown: '30s',
          },
        },
      },
      routes: [{ path: '/api', service: 'flaky' }],
    });
    for (const mode of ['ok', 'fail', 'ok'] as const) {
      control.mode = mode;
      await request(gw.url, '/api');
    }
    expect(breakerStates(gw.seen)).toEqual([]);
    control.mode = 'fail';
    await request(gw.url, '/api'); // 2 failures of 4 requests
    expect(breakerStates(gw.seen)).toEqual(['open']);
    expect((await request(gw.url, '/api')).status).toBe(503);
  });

  it('keeps an open breaker across a reload and does not pile up state over 200 reloads', async () => {
    const { up } = await flakyUpstream();
    const config = (cooldown: string, extra: string[] = []): GatewayConfigInput => ({
      services: { flaky: { targets: [up.url, ...extra], circuitBreaker: { failureThreshold: 1, cooldown } } },
      routes: [{ path: '/api', service: 'flaky' }],
    });
    const gw = await gateway(config('30s'));
    await request(gw.url, '/api');
    expect(breakerStates(gw.seen)).toEqual(['open']);
    await gw.reload(config('30s'));
    expect((await request(gw.url, '/api')).json?.code).toBe('GW_CIRCUIT_OPEN');
    expect(up.requests).toHaveLength(1);

    // Changed settings start the breaker fresh (and say it is closed now).
    await gw.reload(config('31s'));
    expect(breakerStates(gw.seen)).toEqual(['open', 'closed']);
    expect((await request(gw.url, '/api')).status).toBe(500);

    for (let i = 0; i < 200; i++) {
      await gw.reload(config('30s', [`http://127.0.0.1:${20000 + i}`]));
      await request(gw.url, '/api/reload');
    }
    const records = gw.state.maps.get('gw.circuit-breakers');
    expect(records?.size).toBe(2);
  });
});
