import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface TestIdp {
  issuer: string;
  jwksUri: string;
  /** How many times the JWKS was fetched. */
  fetches: number;
  /** Adds a new signing key and publishes it (the old ones stay published unless `retire`). */
  rotate(options?: { retire?: boolean }): Promise<string>;
  sign(
    claims: Record<string, unknown>,
    options?: { audience?: string; ttlSeconds?: number },
  ): Promise<string>;
  close(): Promise<void>;
}

/** A tiny identity provider on 127.0.0.1: an ES256 key set served as a JWKS, and a signer. */
export async function startTestIdp(audience = 'orders-api'): Promise<TestIdp> {
  let published: JWK[] = [];
  let current: { kid: string; privateKey: CryptoKey } | undefined;
  let counter = 0;
  const server = http.createServer((req, res) => {
    if (req.url !== '/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    idp.fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const idp: TestIdp = {
    issuer: `${base}/`,
    jwksUri: `${base}/jwks.json`,
    fetches: 0,
    async rotate(options = {}) {
      const pair = await generateKeyPair('ES256', { extractable: true });
      const kid = `idp-key-${++counter}`;
      const jwk = { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' };
      published = options.retire ? [jwk] : [...published, jwk];
      current = { kid, privateKey: pair.privateKey };
      return kid;
    },
    async sign(claims, options = {}) {
      if (!current) await idp.rotate();
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: current!.kid })
        .setIssuer(idp.issuer)
        .setAudience(options.audience ?? audience)
        .setIssuedAt(now)
        .setExpirationTime(now + (options.ttlSeconds ?? 600))
        .sign(current!.privateKey);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return idp;
}
