import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { runGw as runGwIn } from '../helpers/gw-process.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** A real `node bin/gw.js` process, run inside the state folder that every call names. */
const runGw = (args: string[]) => runGwIn(args, { cwd: args[args.indexOf('--state-dir') + 1]! });

async function setup(
  config: (upstream: string) => GatewayConfigInput,
): Promise<{ up: TestUpstream; gw: TestGateway }> {
  const up = await startUpstream();
  cleanup.push(() => up.close());
  const gw = await startTestGateway(config(up.url));
  cleanup.push(() => gw.close());
  return { up, gw };
}

const paymentsConfig =
  (limit: number) =>
  (upstream: string): GatewayConfigInput => ({
    services: { payments: { targets: [upstream] } },
    rateLimit: { limit: 1000, window: '1m' },
    routes: [
      { name: 'payments', path: '/api/payments', service: 'payments', rateLimit: { limit, window: '1m' } },
      { name: 'default', path: '/api/other', service: 'payments' },
      { name: 'open', path: '/api/open', service: 'payments', rateLimit: false },
    ],
  });

describe('rate limits end to end', () => {
  it('passes exactly 10 of 100 parallel requests against a limit of 10', async () => {
    const { up, gw } = await setup(paymentsConfig(10));
    const responses = await Promise.all(Array.from({ length: 100 }, () => fetch(`${gw.url}/api/payments`)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(90);
    expect(up.requests).toHaveLength(10);
    await Promise.all(responses.map((r) => r.arrayBuffer()));
  });

  it('sends RateLimit headers on every limited response, and 429 problem+json with Retry-After', async () => {
    const { gw } = await setup(paymentsConfig(2));
    const first = await fetch(`${gw.url}/api/payments`);
    expect(first.status).toBe(200);
    expect(Object.fromEntries([...first.headers].filter(([name]) => name.startsWith('ratelimit-')))).toEqual({
      'ratelimit-limit': '2',
      'ratelimit-remaining': '1',
      'ratelimit-reset': '30',
      'ratelimit-policy': '2;w=60',
    });
    await fetch(`${gw.url}/api/payments`);
    const refused = await fetch(`${gw.url}/api/payments`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(((await refused.json()) as { code: string }).code).toBe('GW_RATE_LIMITED');
    // The top-level default applies where the route says nothing; false turns it off.
    expect((await fetch(`${gw.url}/api/other`)).headers.get('ratelimit-policy')).toBe('1000;w=60');
    expect((await fetch(`${gw.url}/api/open`)).headers.get('ratelimit-policy')).toBeNull();
    expect(gw.seen.some((e) => e.type === 'limit-checked' && !e.allowed && e.routeId === 'payments')).toBe(
      true,
    );
  });

  it('keeps counters across a reload that does not change the limit, and starts fresh when it does', async () => {
    const { up, gw } = await setup(paymentsConfig(3));
    for (let i = 0; i < 3; i++) expect((await fetch(`${gw.url}/api/payments`)).status).toBe(200);
    expect((await fetch(`${gw.url}/api/payments`)).status).toBe(429);
    await gw.reload(paymentsConfig(3)(up.url));
    expect((await fetch(`${gw.url}/api/payments`)).status).toBe(429);
    await gw.reload(paymentsConfig(4)(up.url));
    const after = await fetch(`${gw.url}/api/payments`);
    expect(after.status).toBe(200);
    expect(after.headers.get('ratelimit-remaining')).toBe('3');
  });

  it('applies several limits on one route', async () => {
    const { gw } = await setup((upstream) => ({
      services: { s: { targets: [upstream] } },
      routes: [
        {
          name: 'r',
          path: '/r',
          service: 's',
          rateLimit: [
            { limit: 3, window: '1h' },
            { limit: 2, window: '1s' },
          ],
        },
      ],
    }));
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${gw.url}/r`)).status);
    expect(statuses).toEqual([200, 200, 429]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const next = await fetch(`${gw.url}/r`);
    expect(next.status).toBe(200);
    expect(next.headers.get('ratelimit-limit')).toBe('3');
    expect(next.headers.get('ratelimit-remaining')).toBe('0');
    expect((await fetch(`${gw.url}/r`)).status).toBe(429);
  });

  it('limits each key by its tier, independently of the IP it calls from', async () => {
    const { gw } = await setup((upstream) => ({
      services: { s: { targets: [upstream] } },
      routes: [
        {
          name: 'r',
          path: '/r',
          service: 's',
          auth: 'apiKey',
          rateLimit: { limit: 1, window: '1m', tiers: { pro: { limit: 4, window: '1m' } } },
        },
      ],
    }));
    const create = async (...args: string[]) => {
      const result = await runGw(['keys', 'create', '--json', ...args, '--state-dir', gw.stateDir]);
      expect(result.stderr).toBe('');
      return (JSON.parse(result.stdout) as { key: string }).key;
    };
    const pro = await create('--name', 'pro-app', '--tier', 'pro');
    const free = await create('--name', 'free-app');
    const count = async (key: string) => {
      let ok = 0;
      for (let i = 0; i < 6; i++)
        if ((await fetch(`${gw.url}/r`, { headers: { 'x-api-key': key } })).status === 200) ok++;
      return ok;
    };
    expect(await count(pro)).toBe(4);
    expect(await count(free)).toBe(1);
  });
});
