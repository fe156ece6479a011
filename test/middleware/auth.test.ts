import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { isGatewayError, type GatewayError } from '../../src/errors.js';
import { issueToken } from '../../src/identity/issue-token.js';
import { createAuthPolicy } from '../../src/middleware/auth.js';
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

const config: GatewayConfigInput = {
  routes: [
    { name: 'users', path: '/users', auth: ['apiKey', 'jwt'] },
    { name: 'orders', path: '/orders', auth: 'jwt', scopes: ['orders:write'] },
    { name: 'keys-only', path: '/k', auth: 'apiKey', forwardCredentials: true },
    { name: 'public', path: '/health' },
  ],
};

function setup() {
  const { build, routes, seen } = createTestBuild(config, state);
  const middlewareOf = (name: string) =>
    createAuthPolicy(
      routes.find((r) => r.id === name)!,
      build,
    );
  const routeOf = (name: string) => routes.find((r) => r.id === name)!;
  return { middlewareOf, routeOf, seen };
}

const token = async (scopes: string[] = [], sub = 'user123') =>
  (
    await issueToken(await state.signingKeys.ensure(), {
      subject: sub,
      ttlMs: 60_000,
      issuer: 'gw',
      audience: 'gw',
      scopes,
    })
  ).token;

function asError(error: unknown): GatewayError {
  if (!isGatewayError(error)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

describe('auth policy', () => {
  it('does nothing on a public route', () => {
    expect(setup().middlewareOf('public')).toBeUndefined();
  });

  it('accepts a valid API key, tells the upstream who it is, and drops the key', async () => {
    const { middlewareOf, routeOf } = setup();
    const { key } = await state.keys.create({ name: 'mobile-app', scopes: ['users:read'], tier: 'pro' });
    const ctx = createTestContext({ route: routeOf('users'), headers: { 'x-api-key': key } });
    expect(await runMiddleware(middlewareOf('users')!, ctx)).toEqual({ passed: true });
    expect(ctx.identity).toMatchObject({
      kind: 'apiKey',
      name: 'mobile-app',
      scopes: ['users:read'],
      tier: 'pro',
    });
    expect(ctx.upstreamHeaders['x-client-id']).toBe('mobile-app');
    expect(ctx.upstreamHeaders['x-scopes']).toBe('users:read');
    expect(ctx.upstreamHeaders['x-api-key']).toBeUndefined();
  });

  it('keeps the credential with forwardCredentials', async () => {
    const { middlewareOf, routeOf } = setup();
    const { key } = await state.keys.create({ name: 'a', scopes: [] });
    const ctx = createTestContext({ route: routeOf('keys-only'), headers: { 'x-api-key': key } });
    expect((await runMiddleware(middlewareOf('keys-only')!, ctx)).passed).toBe(true);
    expect(ctx.upstreamHeaders['x-api-key']).toBe(key);
  });

  it('accepts a bearer token on a route that takes either', async () => {
    const { middlewareOf, routeOf } = setup();
    const ctx = createTestContext({
      route: routeOf('users'),
      headers: { authorization: `Bearer ${await token()}` },
    });
    expect((await runMiddleware(middlewareOf('users')!, ctx)).passed).toBe(true);
    expect(ctx.upstreamHeaders['x-user-id']).toBe('user123');
    expect(ctx.upstreamHeaders.authorization).toBeUndefined();
  });

  it('answers 401 GW_UNAUTHENTICATED with a challenge for every accepted scheme when nothing is sent', async () => {
    const { middlewareOf, routeOf, seen } = setup();
    const ctx = createTestContext({ route: routeOf('users') });
    const { passed, error } = await runMiddleware(middlewareOf('users')!, ctx);
    expect(passed).toBe(false);
    const e = asError(error);
    expect([e.code, e.status]).toEqual(['GW_UNAUTHENTICATED', 401]);
    expect(e.headers?.['www-authenticate']).toBe('ApiKey realm="gw", header="x-api-key", Bearer realm="gw"');
    expect(seen.find((event) => event.type === 'auth-failed')).toMatchObject({ routeId: 'users' });
  });

  it.each([
    ['an unknown key', { 'x-api-key': 'gw_live_nope' }, 'invalid_key', 'not known'],
    ['a malformed token', { authorization: 'Bearer abc' }, 'invalid_token', 'malformed'],
  ])('answers 401 GW_INVALID_CREDENTIALS for %s', async (_name, headers, error, description) => {
    const { middlewareOf, routeOf } = setup();
    const ctx = createTestContext({ route: routeOf('users'), headers });
    const e = asError((await runMiddleware(middlewareOf('users')!, ctx)).error);
    expect(e.code).toBe('GW_INVALID_CREDENTIALS');
    expect(e.headers?.['www-authenticate']).toContain(`error="${error}"`);
    expect(e.headers?.['www-authenticate']).toContain(description);
  });

  it('answers 403 GW_FORBIDDEN naming the missing scope', async () => {
    const { middlewareOf, routeOf } = setup();
    const ctx = createTestContext({
      route: routeOf('orders'),
      headers: { authorization: `Bearer ${await token(['orders:read'])}` },
    });
    const e = asError((await runMiddleware(middlewareOf('orders')!, ctx)).error);
    expect([e.code, e.status]).toEqual(['GW_FORBIDDEN', 403]);
    expect(e.message).toContain('orders:write');
    expect(e.extensions).toEqual({ missingScopes: ['orders:write'] });
    expect(e.headers?.['www-authenticate']).toBe(
      'Bearer realm="gw", error="insufficient_scope", scope="orders:write"',
    );
    const ok = createTestContext({
      route: routeOf('orders'),
      headers: { authorization: `Bearer ${await token(['orders:write'])}` },
    });
    expect((await runMiddleware(middlewareOf('orders')!, ok)).passed).toBe(true);
  });

  it('refuses scopes without auth when the config is built', () => {
    const { build, routes } = createTestBuild({ routes: [{ path: '/x', scopes: ['a'] }] }, state);
    expect(() => createAuthPolicy(routes[0]!, build)).toThrow(
      expect.objectContaining({ code: 'GW_CONFIG_INVALID' }),
    );
  });
});
