import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createRemoteJwks } from '../../src/identity/remote-jwks.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A JWKS endpoint on 127.0.0.1 answering as `answer` says at each fetch; counts fetches. */
async function jwksServer(answer: (res: http.ServerResponse) => void) {
  const state = { fetches: 0, url: '' };
  const server = http.createServer((_req, res) => {
    state.fetches++;
    answer(res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  return state;
}

async function keyAndToken() {
  const pair = await generateKeyPair('ES256', { extractable: true });
  const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }] };
  const token = await new SignJWT({ sub: 'a' })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .sign(pair.privateKey);
  return { jwks, token };
}

describe('createRemoteJwks (timing math on a fake clock, fetches from a real server)', () => {
  it('a failed fetch is not retried within the cooldown, and is once it passed', async () => {
    const { jwks, token } = await keyAndToken();
    let up = false;
    const server = await jwksServer((res) =>
      up ? res.writeHead(200).end(JSON.stringify(jwks)) : res.writeHead(500).end(),
    );
    let now = 1_000_000;
    const getKey = createRemoteJwks({
      url: server.url,
      cooldown: 30_000,
      cacheMaxAge: 600_000,
      timeout: 2_000,
      maxSize: 1024 * 1024,
      now: () => now,
    });
    for (let i = 0; i < 5; i++)
      await expect(jwtVerify(token, getKey)).rejects.toThrow(/could not be fetched/);
    expect(server.fetches).toBe(1);
    up = true;
    now += 29_000;
    await expect(jwtVerify(token, getKey)).rejects.toThrow(/answered 500/);
    expect(server.fetches).toBe(1);
    now += 2_000;
    await expect(jwtVerify(token, getKey)).resolves.toMatchObject({ payload: { sub: 'a' } });
    expect(server.fetches).toBe(2);
  });

  it('keeps the last good set while a refresh fails', async () => {
    const { jwks, token } = await keyAndToken();
    let up = true;
    const server = await jwksServer((res) =>
      up ? res.writeHead(200).end(JSON.stringify(jwks)) : res.writeHead(503).end(),
    );
    let now = 1_000_000;
    const getKey = createRemoteJwks({
      url: server.url,
      cooldown: 1_000,
      cacheMaxAge: 10_000,
      timeout: 2_000,
      maxSize: 1024 * 1024,
      now: () => now,
    });
    await jwtVerify(token, getKey);
    up = false;
    now += 20_000; // stale: refetched, fails, the old keys still verify
    await expect(jwtVerify(token, getKey)).resolves.toBeDefined();
    expect(server.fetches).toBe(2);
  });

  it('refuses a set whose declared length is over the cap without reading it', async () => {
    const { token } = await keyAndToken();
    const server = await jwksServer((res) => {
      res.writeHead(200, { 'content-length': String(2 * 1024 * 1024) });
      res.write(' ');
    });
    const getKey = createRemoteJwks({
      url: server.url,
      cooldown: 1_000,
      cacheMaxAge: 10_000,
      timeout: 2_000,
      maxSize: 1024 * 1024,
    });
    await expect(jwtVerify(token, getKey)).rejects.toThrow(/larger than 1048576 bytes/);
  });
});
