import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startUpstream } from '../helpers/upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import { request } from '../helpers/http.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** Whether this machine can bind ::1 (some containers have no IPv6 loopback). */
async function hasIpv6Loopback(): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
}

const ipv6 = await hasIpv6Loopback();

describe('localhost targets', () => {
  const hosts = ipv6 ? ['127.0.0.1', '::1'] : ['127.0.0.1'];
  it.each(hosts)('reach a service that listens only on %s', async (host) => {
    const up = await startUpstream(undefined, host);
    cleanup.push(() => up.close());
    const gw = await startTestGateway({
      services: { local: { targets: [`http://localhost:${up.port}`] } },
      routes: [{ path: '/api', service: 'local' }],
    });
    cleanup.push(() => gw.close());
    for (let i = 0; i < 3; i++) {
      const res = await request(gw.url, `/api/${i}`);
      expect(res.status).toBe(200);
    }
    expect(up.requests.map((r) => r.url)).toEqual(['/api/0', '/api/1', '/api/2']);
    expect(up.requests[0]!.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it.each(hosts)('reach a target written as an IP literal (%s), bracketed for IPv6', async (host) => {
    const up = await startUpstream(undefined, host);
    cleanup.push(() => up.close());
    const gw = await startTestGateway({
      // startUpstream's url brackets an IPv6 address: http://[::1]:port
      services: { literal: { targets: [up.url] } },
      routes: [{ path: '/api', service: 'literal' }],
    });
    cleanup.push(() => gw.close());
    const res = await request(gw.url, '/api/literal');
    expect(res.status).toBe(200);
    expect(up.requests.map((r) => r.url)).toEqual(['/api/literal']);
  });
});
