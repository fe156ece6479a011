import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { describe, expect, it } from 'vitest';
import { request } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';
import { waitFor } from '../helpers/upstream.js';

const { upstream, gateway, cleanup } = useTestServers();

interface FakeIdp {
  issuer: string;
  jwksUri: string;
  /** JWKS requests received. */
  fetches: number;
  /** Body bytes written to JWKS requests. */
  bytesSent: number;
  server: http.Server;
}

/** An issuer on 127.0.0.1 whose JWKS endpoint misbehaves as `serve` says. */
async function startIdp(serve: (req: http.IncomingMessage, res: http.ServerResponse, idp: FakeIdp) => void) {
  const idp = { fetches: 0, bytesSent: 0 } as FakeIdp;
  idp.server = http.createServer((req, res) => {
    idp.fetches++;
    serve(req, res, idp);
  });
  await new Promise<void>((resolve) => idp.server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(idp.server.address() as AddressInfo).port}`;
  idp.issuer = `${base}/`;
  idp.jwksUri = `${base}/jwks.json`;
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        idp.server.closeAllConnections();
        idp.server.close(() => resolve());
      }),
  );
  return idp;
}

async function signer(issuer: string) {
  const pair = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const sign = (sub: string, key: CryptoKey = pair.privateKey) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sub })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience('orders-api')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(key);
  };
  return { jwks: { keys: [jwk] }, sign };
}

async function gatewayTrusting(idp: FakeIdp, trust: Record<string, unknown> = {}) {
  const up = await upstream();
  const gw = await gateway({
    services: { orders: { targets: [up.url] } },
    identity: {
      jwt: { trust: [{ issuer: idp.issuer, audience: 'orders-api', jwksUri: idp.jwksUri, ...trust }] },
    },
    routes: [{ path: '/orders', service: 'orders', auth: 'jwt' }],
  });
  return { up, gw };
}

const call = (url: string, token: string) =>
  request(url, '/orders', { headers: { authorization: `Bearer ${token}` } });

describe('JWKS fetching', () => {
  it('a failing JWKS endpoint is fetched once per cooldown, not once per token (negative cache)', async () => {
    const idp = await startIdp((_req, res) => res.writeHead(500).end('down'));
    const { gw, up } = await gatewayTrusting(idp);
    const { sign } = await signer(idp.issuer);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => sign(`user-${i}`).then((t) => call(gw.url, t))),
    );
    for (let i = 0; i < 10; i++) answers.push(await call(gw.url, await sign(`late-${i}`)));
    for (const res of answers) {
      expect(res.status).toBe(401);
      expect(res.json!.code).toBe('GW_INVALID_CREDENTIALS');
      expect(res.headers['www-authenticate']).toContain('could not be fetched');
    }
    expect(idp.fetches).toBe(1);
    expect(up.requests).toHaveLength(0);
  });

  it('a hanging JWKS endpoint costs one timed-out fetch; the requests after it do not wait on it again', async () => {
    const idp = await startIdp(() => undefined); // accepts, never answers
    const { gw } = await gatewayTrusting(idp);
    const { sign } = await signer(idp.issuer);
    for (let i = 0; i < 3; i++) {
      const res = await call(gw.url, await sign('alice'));
      expect(res.status).toBe(401);
      expect(res.json!.code).toBe('GW_INVALID_CREDENTIALS');
    }
    expect(idp.fetches).toBe(1);
  });

  it('a huge JWKS is abandoned past jwksMaxSize (default 1 MB) instead of being read whole', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const idp = await startIdp((_req, res, self) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys":[');
      // Up to 100 MB of whitespace, written only as fast as the reader takes it.
      const pump = () => {
        while (self.bytesSent < 100 * 1024 * 1024 && !res.destroyed) {
          self.bytesSent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end(']}');
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    const { gw } = await gatewayTrusting(idp);
    const { sign } = await signer(idp.issuer);
    const res = await call(gw.url, await sign('alice'));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('larger than');
    // What socket buffers hold beyond the cap, not the whole 100 MB.
    expect(idp.bytesSent).toBeLessThan(16 * 1024 * 1024);
  });

  it('after the cooldown an issuer that came back is fetched again and its tokens pass', async () => {
    const published: { jwks?: unknown } = {};
    const idp = await startIdp((_req, res) => {
      if (published.jwks === undefined) return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(published.jwks));
    });
    const { jwks, sign } = await signer(idp.issuer);
    const { gw } = await gatewayTrusting(idp, { cooldown: '300ms' });
    expect((await call(gw.url, await sign('alice'))).status).toBe(401);
    published.jwks = jwks;
    await waitFor(async () => (await call(gw.url, await sign('alice'))).status === 200, 5000, 'a 200', 100);
    expect(idp.fetches).toBeGreaterThanOrEqual(2);
    expect(idp.fetches).toBeLessThan(20);
  });
});
