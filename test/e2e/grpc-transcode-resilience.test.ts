import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { freePort, request } from '../helpers/http.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  libraryProto,
  startLibraryServer,
  type LibraryServer,
} from '../protocols/grpc/transcode/library-server.js';
import { createCertDir, createTestCa, issueCertificate } from './upstream-tls-certs.js';

/**
 * Transcoded calls (`transcode: true`) get what every other route to the service gets: its
 * circuit breaker, its retries where gRPC itself would retry, the route's timeout as the call's
 * deadline upstream, and the service's TLS settings for https:// targets. Each test calls a real
 * grpc-js server through a real gw and asserts what the server received and what the client got.
 */

type ServiceInput = NonNullable<GatewayConfigInput['services']>[string];

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

let server: LibraryServer;
beforeAll(async () => {
  server = await startLibraryServer();
});
afterAll(() => server.close());

async function gateway(service: Partial<ServiceInput>, route: Record<string, unknown> = {}) {
  const gw = await startTestGateway({
    services: { library: { targets: [server.url], protocol: 'grpc', proto: libraryProto, ...service } },
    routes: [{ path: '/gwtest.library.Library/*', service: 'library', transcode: true, ...route }],
  });
  cleanup.push(() => gw.close());
  return gw;
}

function ping(gw: TestGateway, text: string) {
  return request(gw.url, '/gwtest.library.Library/Ping', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
}

const pingsOf = (text: string) =>
  server.received.filter((call) => call.method === 'Ping' && call.request.text === text);

function finished(gw: TestGateway) {
  return gw.seen.flatMap((event) => (event.type === 'request-finished' ? [event] : []));
}

describe('retries', () => {
  it('retry a call the service answered UNAVAILABLE, and the client gets the second answer', async () => {
    const gw = await gateway({ retries: { attempts: 2, backoff: 1 } });
    const res = await ping(gw, 'unavailable-once:a');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ text: 'pong unavailable-once:a', length: 18 });
    expect(pingsOf('unavailable-once:a')).toHaveLength(2);
    expect(finished(gw).at(-1)?.outcome.retries).toBe(1);
  });

  it('retry on another target when one does not accept the connection', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const gw = await gateway({ targets: [dead, server.url], retries: { attempts: 1, backoff: 1 } });
    for (let i = 0; i < 4; i++) {
      const res = await ping(gw, `spread ${i}`);
      expect(res.status).toBe(200);
    }
  });

  it('give up after the attempts with the last status (UNAVAILABLE → 503)', async () => {
    const gw = await gateway({ retries: { attempts: 2, backoff: 1 } });
    const before = pingsOf('unavailable').length;
    const res = await ping(gw, 'unavailable');
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({ code: 'GW_GRPC_CALL_FAILED', grpcCode: 'UNAVAILABLE' });
    expect(pingsOf('unavailable').length - before).toBe(3);
  });

  it('never retry other statuses, nor a stream whose first message reached the client', async () => {
    const gw = await gateway({ retries: { attempts: 2, backoff: 1 } });
    const missing = await request(gw.url, '/gwtest.library.Library/GetShelf', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'shelves/missing' }),
    });
    expect(missing.status).toBe(404);
    expect(server.received.filter((call) => call.request.name === 'shelves/missing')).toHaveLength(1);
    const streamed = await request(gw.url, '/gwtest.library.Library/WatchShelf', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'shelves/broken' }),
    });
    expect(streamed.status).toBe(200);
    expect(streamed.body.trimEnd().split('\n')).toHaveLength(4);
    expect(server.received.filter((call) => call.request.name === 'shelves/broken')).toHaveLength(1);
  });
});

describe('circuit breaker', () => {
  it("opens on the service's failing calls and then refuses without calling it", async () => {
    const gw = await gateway({ circuitBreaker: { failureThreshold: 2, cooldown: '1m' } });
    const before = pingsOf('unavailable').length;
    expect((await ping(gw, 'unavailable')).status).toBe(503);
    expect((await ping(gw, 'unavailable')).status).toBe(503);
    const refused = await ping(gw, 'unavailable');
    expect(refused.status).toBe(503);
    expect(refused.json?.code).toBe('GW_CIRCUIT_OPEN');
    expect(refused.headers['retry-after']).toBeDefined();
    expect(pingsOf('unavailable').length - before).toBe(2);
  });

  it('counts answers that map to 4xx as successes', async () => {
    const gw = await gateway({ circuitBreaker: { failureThreshold: 1, cooldown: '1m' } });
    for (let i = 0; i < 2; i++) {
      const res = await request(gw.url, '/gwtest.library.Library/GetShelf', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'shelves/missing' }),
      });
      expect(res.json?.code).toBe('GW_GRPC_CALL_FAILED');
    }
    expect((await ping(gw, 'after 404s')).status).toBe(200);
  });
});

describe('deadline', () => {
  it("sends the route's timeout upstream as grpc-timeout and answers 504 when it passes", async () => {
    const gw = await gateway({}, { timeout: '300ms' });
    const res = await ping(gw, 'slow:3000');
    expect(res.status).toBe(504);
    expect(res.json).toMatchObject({
      code: 'GW_UPSTREAM_TIMEOUT',
      grpcStatus: 4,
      grpcCode: 'DEADLINE_EXCEEDED',
    });
    const seen = pingsOf('slow:3000').at(-1)!;
    expect(seen.deadlineMs).toBeLessThanOrEqual(300);
  });

  it('gives a server stream no deadline: it may run past the timeout while it sends', async () => {
    const gw = await gateway({}, { timeout: '5s' });
    const res = await request(gw.url, '/gwtest.library.Library/WatchShelf', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'shelves/open' }),
    });
    expect(res.status).toBe(200);
    const seen = server.received.filter((call) => call.request.name === 'shelves/open').at(-1)!;
    expect(seen.deadlineMs).toBe(Infinity);
  });
});

describe('TLS to https:// targets', () => {
  it("speaks h2 over TLS with the service's tls settings (and verifies the certificate)", async () => {
    const certs = await createCertDir();
    cleanup.push(() => certs.remove());
    const ca = await createTestCa();
    const caFile = await certs.write('ca.pem', ca.cert);
    const secure = await startLibraryServer(await issueCertificate(ca, ['localhost', '127.0.0.1']));
    cleanup.push(() => secure.close());
    const trusted = await gateway({ targets: [secure.url], tls: { ca: caFile } });
    const res = await ping(trusted, 'over tls');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ text: 'pong over tls', length: 8 });
    expect(secure.received.at(-1)?.request.text).toBe('over tls');
    const untrusted = await gateway({ targets: [secure.url] });
    const refused = await ping(untrusted, 'unverified');
    expect(refused.status).toBe(502);
    expect(refused.json?.code).toBe('GW_UPSTREAM_TLS');
  });
});
