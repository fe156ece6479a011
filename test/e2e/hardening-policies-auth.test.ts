import { base64url, CompactSign, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { importSignKey } from '../../src/identity/key-ring.js';
import { request } from '../helpers/http.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useTestServers } from '../helpers/test-servers.js';

const { upstream, gateway } = useTestServers();

/** Signs `payload` (raw JSON text, so it may hold what JSON.stringify cannot, like 1e309) with gw's own key. */
async function signRaw(gw: TestGateway, payload: string): Promise<string> {
  const entry = (await gw.state.signingKeys.ensure()).keys[0]!;
  const key = await importSignKey(entry);
  return new CompactSign(new TextEncoder().encode(payload))
    .setProtectedHeader({ alg: entry.alg, kid: entry.kid, typ: 'JWT' })
    .sign(key);
}

const now = () => Math.floor(Date.now() / 1000);

async function signClaims(gw: TestGateway, claims: Record<string, unknown>): Promise<string> {
  const entry = (await gw.state.signingKeys.ensure()).keys[0]!;
  return new SignJWT({ iss: 'gw', aud: 'gw', iat: now(), exp: now() + 600, ...claims })
    .setProtectedHeader({ alg: entry.alg, kid: entry.kid })
    .sign(await importSignKey(entry));
}

/** What an attacker can write without any key: an unsigned token saying they are admin. */
const forged = `${base64url.encode('{"alg":"none","typ":"JWT"}')}.${base64url.encode(
  JSON.stringify({ iss: 'gw', aud: 'gw', sub: 'admin', scope: 'admin', exp: 4102444800 }),
)}.`;

async function setup(extra: Partial<GatewayConfigInput> = {}) {
  const up = await upstream();
  const gw = await gateway({
    services: { app: { targets: [up.url] } },
    routes: [
      { path: '/either', service: 'app', auth: ['apiKey', 'jwt'] },
      { path: '/token', service: 'app', auth: 'jwt' },
      { path: '/key', service: 'app', auth: 'apiKey' },
      { path: '/passthrough', service: 'app', auth: 'jwt', forwardCredentials: true },
    ],
    ...extra,
  });
  const { key } = await gw.state.keys.create({ name: 'mobile-app', scopes: [] });
  return { up, gw, key };
}

describe('an unverified second credential never reaches the upstream', () => {
  it.each(['/either', '/key'])(
    '%s: a valid X-API-Key plus a forged `Bearer alg:none sub=admin` → the forged header is stripped',
    async (path) => {
      const { up, gw, key } = await setup();
      const res = await request(gw.url, path, {
        headers: { 'x-api-key': key, authorization: `Bearer ${forged}` },
      });
      expect(res.status).toBe(200);
      const received = up.requests.at(-1)!.headers;
      expect(received.authorization).toBeUndefined();
      expect(received['x-api-key']).toBeUndefined();
      expect(received['x-client-id']).toBe('mobile-app');
      expect(received['x-user-id']).toBeUndefined();
    },
  );

  it('mirror: a valid bearer token plus a bogus X-API-Key → the key header is stripped', async () => {
    const { up, gw } = await setup();
    const token = await signClaims(gw, { sub: 'alice' });
    const res = await request(gw.url, '/token', {
      headers: { authorization: `Bearer ${token}`, 'x-api-key': 'gw_live_made_up_by_the_attacker' },
    });
    expect(res.status).toBe(200);
    const received = up.requests.at(-1)!.headers;
    expect(received['x-api-key']).toBeUndefined();
    expect(received.authorization).toBeUndefined();
    expect(received['x-user-id']).toBe('alice');
  });

  it('forwardCredentials: true forwards the verified credential only', async () => {
    const { up, gw } = await setup();
    const token = await signClaims(gw, { sub: 'alice' });
    const res = await request(gw.url, '/passthrough', {
      headers: { authorization: `Bearer ${token}`, 'x-api-key': 'gw_live_made_up_by_the_attacker' },
    });
    expect(res.status).toBe(200);
    const received = up.requests.at(-1)!.headers;
    expect(received.authorization).toBe(`Bearer ${token}`);
    expect(received['x-api-key']).toBeUndefined();
  });
});

describe('JWT claims gw turns into headers, and token lifetimes', () => {
  const bad: Array<[string, Record<string, unknown>]> = [
    ['sub with CR/LF', { sub: 'alice\r\nX-Admin: true' }],
    ['sub with a NUL', { sub: 'alice\u0000' }],
    ['sub outside Latin-1', { sub: 'ユーザー' }],
    ['sub as a number', { sub: 42 }],
    ['sub as an object', { sub: { id: 'admin' } }],
    ['client_id with LF', { sub: 'alice', client_id: 'app\nX-Scopes: admin' }],
    ['client_id as an array', { sub: 'alice', client_id: ['a', 'b'] }],
    ['scope as a number', { sub: 'alice', scope: 7 }],
    ['scope with CR/LF', { sub: 'alice', scope: 'read\r\nX-Admin: 1' }],
    ['scp with a non-string item', { sub: 'alice', scp: ['read', { admin: true }] }],
    ['no sub and no client_id', { scope: 'read' }],
    ['iat an hour in the future', { sub: 'alice', iat: now() + 3600 }],
  ];
  it.each(bad)('%s → 401 GW_INVALID_CREDENTIALS with a reason, nothing forwarded', async (_name, claims) => {
    const { up, gw } = await setup();
    const token = await signClaims(gw, claims);
    const res = await request(gw.url, '/token', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(res.json!.code).toBe('GW_INVALID_CREDENTIALS');
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token", error_description="[^"]+"/);
    expect(up.requests).toHaveLength(0);
  });

  it('refuses exp: 1e309 (Infinity once parsed) and exp thousands of years ahead', async () => {
    const { up, gw } = await setup();
    for (const exp of ['1e309', '99999999999999']) {
      const token = await signRaw(gw, `{"iss":"gw","aud":"gw","sub":"alice","iat":${now()},"exp":${exp}}`);
      const res = await request(gw.url, '/token', { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
      expect(res.json!.code).toBe('GW_INVALID_CREDENTIALS');
    }
    expect(up.requests).toHaveLength(0);
  });

  it('identity.jwt.maxLifetime refuses tokens that live longer, and keeps accepting short ones', async () => {
    const { up, gw } = await setup({ identity: { jwt: { maxLifetime: '1h' } } });
    const tenYears = await signClaims(gw, { sub: 'alice', exp: now() + 10 * 365 * 86_400 });
    const refused = await request(gw.url, '/token', { headers: { authorization: `Bearer ${tenYears}` } });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toContain('maxLifetime');
    const noIat = await signRaw(gw, `{"iss":"gw","aud":"gw","sub":"alice","exp":${now() + 2 * 86_400}}`);
    expect((await request(gw.url, '/token', { headers: { authorization: `Bearer ${noIat}` } })).status).toBe(
      401,
    );
    expect(up.requests).toHaveLength(0);

    const short = await signClaims(gw, { sub: 'alice', exp: now() + 1800 });
    expect((await request(gw.url, '/token', { headers: { authorization: `Bearer ${short}` } })).status).toBe(
      200,
    );
  });

  it('a client-credentials token (client_id, no sub) passes as that client', async () => {
    const { up, gw } = await setup();
    const token = await signClaims(gw, { client_id: 'billing-job', scope: 'read' });
    const res = await request(gw.url, '/token', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(up.requests.at(-1)!.headers['x-client-id']).toBe('billing-job');
    expect(up.requests.at(-1)!.headers['x-user-id']).toBe('billing-job');
  });
});
