import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { configSchema } from '../../src/config/schema.js';
import { isGatewayError } from '../../src/errors.js';
import { createRateLimitPolicy } from '../../src/middleware/rate-limit.js';
import type { Identity } from '../../src/pipeline/types.js';
import { createGatewayState } from '../../src/state/create-state.js';
import type { GatewayState } from '../../src/state/types.js';
import { createTestBuild, createTestContext, runMiddleware } from '../helpers/context.js';
import { createTempStateDir } from '../identity/temp-state.js';

let state: GatewayState;
let remove: () => Promise<void>;
beforeEach(async () => {
  const temp = await createTempStateDir();
  remove = temp.remove;
  state = await createGatewayState({ stateDir: temp.dir, watch: false });
});
afterEach(async () => {
  await state.close();
  await remove();
});

function policyFor(config: GatewayConfigInput, name: string) {
  const { build, routes, seen } = createTestBuild(config, state);
  const route = routes.find((r) => r.id === name)!;
  return { route, middleware: createRateLimitPolicy(route, build), seen };
}

async function hit(
  p: ReturnType<typeof policyFor>,
  options: { clientIp?: string; identity?: Identity; headers?: Record<string, string> } = {},
) {
  const ctx = createTestContext({ route: p.route, clientIp: options.clientIp, headers: options.headers });
  ctx.identity = options.identity;
  const result = await runMiddleware(p.middleware!, ctx);
  return { ...result, ctx };
}

const key = (id: string, tier?: string): Identity => ({
  kind: 'apiKey',
  id,
  name: id,
  scopes: [],
  ...(tier ? { tier } : {}),
});

describe('rate-limit policy', () => {
  it('uses the top-level default, a route override, or none with false', () => {
    const config: GatewayConfigInput = {
      rateLimit: { limit: 100, window: '1m' },
      routes: [
        { name: 'a', path: '/a' },
        { name: 'b', path: '/b', rateLimit: { limit: 5, window: '1s' } },
        { name: 'c', path: '/c', rateLimit: false },
      ],
    };
    expect(policyFor(config, 'a').middleware).toBeDefined();
    expect(policyFor(config, 'b').middleware).toBeDefined();
    expect(policyFor(config, 'c').middleware).toBeUndefined();
    expect(policyFor({ routes: [{ name: 'd', path: '/d' }] }, 'd').middleware).toBeUndefined();
  });

  it('sets RateLimit headers on every limited response and refuses with 429 and Retry-After', async () => {
    const p = policyFor(
      { routes: [{ name: 'pay', path: '/pay', rateLimit: { limit: 3, window: '1m' } }] },
      'pay',
    );
    const seen: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 3; i++) {
      const { passed, ctx } = await hit(p);
      expect(passed).toBe(true);
      seen.push({ ...ctx.responseHeaders });
    }
    expect(seen.map((h) => h['ratelimit-remaining'])).toEqual(['2', '1', '0']);
    expect(seen[0]).toEqual({
      'ratelimit-limit': '3',
      'ratelimit-remaining': '2',
      'ratelimit-reset': '20',
      'ratelimit-policy': '3;w=60',
    });
    expect(seen[2]!['ratelimit-reset']).toBe('60');
    const refused = await hit(p);
    expect(refused.passed).toBe(false);
    expect(isGatewayError(refused.error) && [refused.error.code, refused.error.status]).toEqual([
      'GW_RATE_LIMITED',
      429,
    ]);
    expect(isGatewayError(refused.error) && refused.error.headers).toEqual({ 'retry-after': '20' });
    expect(refused.ctx.responseHeaders['ratelimit-remaining']).toBe('0');
    expect(refused.ctx.outcome).toMatchObject({ limited: true, answeredBy: 'rate-limit' });
    expect(
      p.seen.filter((e) => e.type === 'limit-checked').map((e) => e.type === 'limit-checked' && e.allowed),
    ).toEqual([true, true, true, false]);
  });

  it('keys budgets by verified identity, else by client IP, never by a spoofable header', async () => {
    const p = policyFor({ routes: [{ name: 'r', path: '/r', rateLimit: { limit: 1, window: '1m' } }] }, 'r');
    expect((await hit(p, { clientIp: '10.0.0.1' })).passed).toBe(true);
    expect(
      (
        await hit(p, {
          clientIp: '10.0.0.1',
          headers: { 'x-forwarded-for': '1.2.3.4', 'x-client-id': 'other' },
        })
      ).passed,
    ).toBe(false);
    expect((await hit(p, { clientIp: '10.0.0.2' })).passed).toBe(true);
    expect((await hit(p, { clientIp: '10.0.0.1', identity: key('key_a') })).passed).toBe(true);
    expect((await hit(p, { clientIp: '10.0.0.9', identity: key('key_a') })).passed).toBe(false);
  });

  it("keys by a header only when asked with by: 'header:NAME'", async () => {
    const p = policyFor(
      { routes: [{ name: 'r', path: '/r', rateLimit: { limit: 1, window: '1m', by: 'header:X-Tenant' } }] },
      'r',
    );
    expect((await hit(p, { headers: { 'x-tenant': 'a' } })).passed).toBe(true);
    expect((await hit(p, { headers: { 'x-tenant': 'a' } })).passed).toBe(false);
    expect((await hit(p, { headers: { 'x-tenant': 'b' } })).passed).toBe(true);
  });

  it('keeps a budget per caller for long header values and many callers alike, and names the caller when it refuses', async () => {
    const p = policyFor(
      { routes: [{ name: 'r', path: '/r', rateLimit: { limit: 1, window: '1m', by: 'header:X-Tenant' } }] },
      'r',
    );
    const long = `t${'x'.repeat(600)}`;
    expect((await hit(p, { headers: { 'x-tenant': long } })).passed).toBe(true);
    const refused = await hit(p, { headers: { 'x-tenant': long } });
    expect(refused.passed).toBe(false);
    expect(refused.ctx.outcome.reason).toMatch(new RegExp(`^${long} used 1/1`));
    expect((await hit(p, { headers: { 'x-tenant': `${long}y` } })).passed).toBe(true);
    // More callers than the policy remembers keys for: each still has its own budget.
    const byIp = policyFor(
      { routes: [{ name: 'ip', path: '/ip', rateLimit: { limit: 1, window: '1m' } }] },
      'ip',
    );
    for (let i = 0; i < 10_050; i++) {
      const clientIp = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      expect((await hit(byIp, { clientIp })).passed).toBe(true);
    }
    expect((await hit(byIp, { clientIp: '10.0.0.0' })).passed).toBe(false);
    expect((await hit(byIp, { clientIp: '10.0.39.65' })).ctx.outcome.reason).toMatch(
      /^10\.0\.39\.65 used 1\/1/,
    );
  });

  it('applies several limits at once and reports the tightest', async () => {
    const p = policyFor(
      {
        routes: [
          {
            name: 'r',
            path: '/r',
            rateLimit: [
              { limit: 2, window: '1s' },
              { limit: 1000, window: '1h' },
            ],
          },
        ],
      },
      'r',
    );
    const first = await hit(p);
    expect(first.ctx.responseHeaders).toMatchObject({
      'ratelimit-limit': '2',
      'ratelimit-remaining': '1',
      'ratelimit-policy': '2;w=1, 1000;w=3600',
    });
    expect((await hit(p)).passed).toBe(true);
    const third = await hit(p);
    expect(third.passed).toBe(false);
    expect(third.ctx.responseHeaders['ratelimit-limit']).toBe('2');
  });

  it('gives a key or token in a tier its own limit', async () => {
    const config: GatewayConfigInput = {
      routes: [
        {
          name: 'r',
          path: '/r',
          rateLimit: { limit: 1, window: '1m', tiers: { pro: { limit: 5, window: '1m' } } },
        },
      ],
    };
    const p = policyFor(config, 'r');
    let pro = 0;
    for (let i = 0; i < 10; i++) if ((await hit(p, { identity: key('key_pro', 'pro') })).passed) pro++;
    expect(pro).toBe(5);
    let free = 0;
    for (let i = 0; i < 10; i++) if ((await hit(p, { identity: key('key_free') })).passed) free++;
    expect(free).toBe(1);
    const tokenTier = await hit(p, {
      identity: { kind: 'jwt', id: 'gw#u', name: 'u', scopes: [], tier: 'pro' },
    });
    expect(tokenTier.ctx.responseHeaders['ratelimit-policy']).toBe('5;w=60');
  });

  it('keeps counters across a rebuild that does not change the limit, and starts fresh when it does', async () => {
    const config = (limit: number): GatewayConfigInput => ({
      routes: [{ name: 'r', path: '/r', rateLimit: { limit, window: '1m' } }],
    });
    const first = policyFor(config(2), 'r');
    await hit(first);
    await hit(first);
    expect((await hit(first)).passed).toBe(false);
    expect((await hit(policyFor(config(2), 'r'))).passed).toBe(false);
    expect((await hit(policyFor(config(3), 'r'))).passed).toBe(true);
  });

  it('answers 100 concurrent requests with exactly the limit passing', async () => {
    const p = policyFor({ routes: [{ name: 'r', path: '/r', rateLimit: { limit: 10, window: '1m' } }] }, 'r');
    const results = await Promise.all(Array.from({ length: 100 }, () => hit(p)));
    expect(results.filter((r) => r.passed)).toHaveLength(10);
  });

  it('rejects a bad rate-limit config with the field path', () => {
    const result = configSchema.safeParse({
      routes: [{ path: '/x', rateLimit: { limit: 0, window: '1m' } }],
    });
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    // Either zod names the field itself, or the union error names it in the message.
    expect(`${issue?.path.join('.')}: ${issue?.message}`).toMatch(
      /^routes\.0\.rateLimit(\.limit: |: limit: )/,
    );
  });
});
