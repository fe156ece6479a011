import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../../src/dev/start-gateway.js';
import { isGatewayError } from '../../src/errors.js';
import { tlsPaths } from '../../src/tls/tls-home.js';
import { freePort } from '../helpers/ports.js';
import { useTestServers } from '../helpers/test-servers.js';

/**
 * `tls.redirectHttpFrom` in the config (not only the programmatic option): plain HTTP on that
 * port answers 308 to the same method, path and query on https://, and the redirected request
 * reaches the upstream over TLS (a fresh GW_HOME for this file).
 */
const { upstream, cleanup } = useTestServers();
let home: string;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'gw-home-'));
  process.env.GW_HOME = home;
});
afterAll(async () => {
  delete process.env.GW_HOME;
  await rm(home, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function send(
  client: typeof http | typeof https,
  url: string,
  init: { method: string; body: string; ca?: string },
): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = client.request(
      {
        host: '127.0.0.1',
        port: target.port,
        method: init.method,
        path: target.pathname + target.search,
        servername: target.hostname,
        ca: init.ca,
        agent: false,
        headers: { host: target.host, 'content-type': 'text/plain' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('tls.redirectHttpFrom', () => {
  it('answers plain HTTP on that port with 308 to the https URL, keeping method, path and query', async () => {
    const up = await upstream();
    const from = await freePort();
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'gw-state-'));
    const gw = await startGateway({
      config: {
        tls: { redirectHttpFrom: from },
        services: { s: { targets: [up.url] } },
        routes: [{ host: 'app.localhost', path: '/api', service: 's' }],
      },
      port: 0,
      host: '127.0.0.1',
      stateDir,
      configDir: stateDir,
    });
    cleanup.push(async () => {
      await gw.close(500);
      await rm(stateDir, { recursive: true, force: true });
    });
    expect(gw.url.startsWith('https://')).toBe(true);

    const plain = await send(http, `http://app.localhost:${from}/api/items/7?sort=desc&q=a%2Fb`, {
      method: 'PUT',
      body: 'payload',
    });
    expect(plain.status).toBe(308);
    expect(plain.headers.location).toBe(`https://app.localhost:${gw.port}/api/items/7?sort=desc&q=a%2Fb`);
    expect(up.requests).toEqual([]);

    // Following the redirect as a client does: the same method and body, now over TLS.
    const ca = await readFile(tlsPaths().caCert, 'utf8');
    const followed = await send(https, plain.headers.location!, { method: 'PUT', body: 'payload', ca });
    expect(followed.status).toBe(200);
    expect(up.requests.map((r) => [r.method, r.url, r.body, r.headers['x-forwarded-proto']])).toEqual([
      ['PUT', '/api/items/7?sort=desc&q=a%2Fb', 'payload', 'https'],
    ]);
  });

  it('is a config error outside 1–65535', async () => {
    const attempt = startGateway({
      config: { tls: { redirectHttpFrom: 70000 } },
      port: 0,
      host: '127.0.0.1',
    });
    const error: unknown = await attempt.then(
      (gw) => gw.close(0).then(() => undefined),
      (e: unknown) => e,
    );
    expect(isGatewayError(error) ? error.code : error).toBe('GW_CONFIG_INVALID');
  });
});
