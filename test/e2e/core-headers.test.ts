import { afterEach, describe, expect, it } from 'vitest';
import { startUpstream, type TestUpstream, type UpstreamHandler } from '../helpers/upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { request } from '../helpers/http.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setup(handler?: UpstreamHandler): Promise<{ up: TestUpstream; gw: TestGateway }> {
  const up = await startUpstream(handler);
  cleanup.push(() => up.close());
  const gw = await startTestGateway({
    services: { s: { targets: [up.url] } },
    routes: [{ path: '/api', service: 's' }],
  });
  cleanup.push(() => gw.close());
  return { up, gw };
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('headers on the way up and down', () => {
  it('strips hop-by-hop request headers and every header named in Connection', async () => {
    const { up, gw } = await setup();
    const res = await request(gw.url, '/api/x', {
      headers: {
        connection: 'keep-alive, X-Secret-Hop, x-other-hop',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        upgrade: 'h2c',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        'proxy-connection': 'keep-alive',
        'x-secret-hop': 'do not forward',
        'x-other-hop': 'nor this',
        'x-end-to-end': 'keep me',
      },
    });
    expect(res.status).toBe(200);
    const seen = up.requests[0]!.headers;
    for (const name of [
      'keep-alive',
      'te',
      'upgrade',
      'proxy-authorization',
      'proxy-connection',
      'x-secret-hop',
      'x-other-hop',
    ]) {
      expect(seen[name], name).toBeUndefined();
    }
    expect(seen.connection ?? '').not.toContain('x-secret-hop');
    expect(seen['x-end-to-end']).toBe('keep me');
  });

  it('strips hop-by-hop response headers and those the upstream names in Connection', async () => {
    const { gw } = await setup((_req, res) => {
      res.writeHead(200, {
        connection: 'x-upstream-hop',
        'x-upstream-hop': 'private',
        'keep-alive': 'timeout=2',
        'proxy-authenticate': 'Basic',
        'x-end-to-end': 'kept',
        'content-length': '2',
      });
      res.end('ok');
    });
    const res = await request(gw.url, '/api/x');
    expect(res.status).toBe(200);
    expect(res.headers['x-upstream-hop']).toBeUndefined();
    expect(res.headers['keep-alive']).toBeUndefined();
    expect(res.headers['proxy-authenticate']).toBeUndefined();
    expect(res.headers['x-end-to-end']).toBe('kept');
    expect(res.body).toBe('ok');
  });

  it('sets X-Forwarded-For/-Proto/-Host, replacing client-supplied values', async () => {
    const { up, gw } = await setup();
    const host = new URL(gw.url).host;
    await request(gw.url, '/api/x', {
      headers: {
        'x-forwarded-for': '6.6.6.6, 7.7.7.7',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil.example',
      },
    });
    await request(gw.url, '/api/y');
    for (const seen of up.requests) {
      expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen.headers['x-forwarded-proto']).toBe('http');
      expect(seen.headers['x-forwarded-host']).toBe(host);
      // The Host header itself is passed through (changeOrigin is off).
      expect(seen.headers.host).toBe(host);
    }
  });

  it('generates an X-Request-ID, keeps a valid client one, replaces an invalid one, and echoes it', async () => {
    const { up, gw } = await setup();
    const cases: Array<{ sent?: string; kept: boolean }> = [
      { kept: false },
      { sent: 'client-id-123', kept: true },
      { sent: 'trace:abc/def+1=2@x.y', kept: true },
      { sent: 'has spaces in it', kept: false },
      { sent: 'x'.repeat(200), kept: false },
      { sent: '<script>', kept: false },
    ];
    for (const [index, c] of cases.entries()) {
      const res = await request(gw.url, `/api/${index}`, {
        headers: c.sent === undefined ? {} : { 'x-request-id': c.sent },
      });
      const echoed = res.headers['x-request-id'] as string;
      const upstreamSaw = up.requests[index]!.headers['x-request-id'];
      expect(upstreamSaw, JSON.stringify(c)).toBe(echoed);
      if (c.kept) expect(echoed).toBe(c.sent);
      else expect(echoed).toMatch(uuid);
    }
  });

  it('puts the request id on problem answers too', async () => {
    const { gw } = await setup();
    const res = await request(gw.url, '/nowhere', { headers: { 'x-request-id': 'mine-1' } });
    expect(res.status).toBe(404);
    expect(res.headers['x-request-id']).toBe('mine-1');
    expect(res.json!.requestId).toBe('mine-1');
  });
});
