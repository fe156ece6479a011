import { describe, expect, it } from 'vitest';
import type { UpstreamHandler } from '../helpers/upstream.js';
import { request } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';

const { upstream, gateway } = useTestServers();

describe('`..;` path parameters (Tomcat/Spring read `/public/..;/api/admin` as `/api/admin`)', () => {
  it.each([
    '/public/..;/api/admin',
    '/public/..;jsessionid=x/api/admin',
    '/public/%2e%2e;/api/admin',
    '/public/.%2E;x=1/api/admin',
    '/public/..%3b/api/admin',
    '/public/.;/api/admin',
  ])('refuses %s with 400 GW_BAD_PATH and forwards nothing', async (path) => {
    const up = await upstream();
    const gw = await gateway({
      services: { app: { targets: [up.url] } },
      routes: [
        { path: '/public', service: 'app' },
        { path: '/api/admin', service: 'app', auth: 'apiKey' },
      ],
    });
    const res = await request(gw.url, path);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json!.code).toBe('GW_BAD_PATH');
    expect(up.requests).toHaveLength(0);
  });

  it('still forwards segments that merely carry parameters or dots', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { app: { targets: [up.url] } },
      routes: [{ path: '/public', service: 'app' }],
    });
    for (const path of ['/public/file;v=1', '/public/...;x', '/public/a..;b', '/public/.well;x']) {
      expect((await request(gw.url, path)).status).toBe(200);
      expect(up.requests.at(-1)!.url).toBe(path);
    }
  });
});

/** Answers with what a typical app derives from the request: links from Host, a page per session. */
const personalised: UpstreamHandler = (req, res) => {
  const body = JSON.stringify({
    self: `http://${req.headers.host}/api/page`,
    user: /session=(\w+)/.exec(req.headers.cookie ?? '')?.[1] ?? 'anonymous',
  });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
};

describe('cache poisoning', () => {
  // An IP literal passes the DNS-rebinding guard (no DNS involved), so it still reaches the cache.
  it('keys entries on the Host the upstream sees: `Host: 203.0.113.66` does not poison the entry for everyone', async () => {
    const up = await upstream(personalised);
    const gw = await gateway({
      services: { app: { targets: [up.url] } },
      routes: [{ path: '/api/page', service: 'app', cache: { ttl: '60s' } }],
    });
    const poisoned = await request(gw.url, '/api/page', { headers: { host: '203.0.113.66' } });
    expect(poisoned.json!.self).toBe('http://203.0.113.66/api/page');
    const victim = await request(gw.url, '/api/page', { headers: { host: 'localhost' } });
    expect(victim.headers['x-cache']).toBe('MISS');
    expect(victim.json!.self).toBe('http://localhost/api/page');
    expect(up.requests.map((r) => r.headers.host)).toEqual(['203.0.113.66', 'localhost']);
    // The same host is still served from the cache.
    expect((await request(gw.url, '/api/page', { headers: { host: 'localhost' } })).headers['x-cache']).toBe(
      'HIT',
    );
  });

  it('does not store an answer to a request with Cookie: an anonymous caller never gets the session page', async () => {
    const up = await upstream(personalised);
    const gw = await gateway({
      services: { app: { targets: [up.url] } },
      routes: [{ path: '/api/page', service: 'app', cache: { ttl: '60s' } }],
    });
    const alice = await request(gw.url, '/api/page', { headers: { cookie: 'session=alice' } });
    expect(alice.json!.user).toBe('alice');
    const anonymous = await request(gw.url, '/api/page');
    expect(anonymous.json!.user).toBe('anonymous');
    expect(anonymous.headers['x-cache']).toBe('MISS');
    expect(up.requests).toHaveLength(2);
  });

  it('does not store an answer to a request with an unchecked Authorization, even for the same path', async () => {
    const up = await upstream((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ who: req.headers.authorization ?? 'anonymous' }));
    });
    const gw = await gateway({
      services: { app: { targets: [up.url] } },
      routes: [{ path: '/api/page', service: 'app', cache: { ttl: '60s' } }],
    });
    await request(gw.url, '/api/page', { headers: { authorization: 'Bearer alice-token' } });
    const anonymous = await request(gw.url, '/api/page');
    expect(anonymous.json!.who).toBe('anonymous');
    expect(up.requests).toHaveLength(2);
  });

  it('shares such answers when the route says `shared: true`, or keys them when it varies on Cookie', async () => {
    const up = await upstream(personalised);
    const gw = await gateway({
      services: { app: { targets: [up.url] } },
      routes: [
        { path: '/shared', service: 'app', cache: { ttl: '60s', shared: true } },
        { path: '/by-session', service: 'app', cache: { ttl: '60s', vary: ['cookie'] } },
      ],
    });
    await request(gw.url, '/shared', { headers: { cookie: 'theme=dark' } });
    expect((await request(gw.url, '/shared')).headers['x-cache']).toBe('HIT');

    await request(gw.url, '/by-session', { headers: { cookie: 'session=alice' } });
    expect(
      (await request(gw.url, '/by-session', { headers: { cookie: 'session=alice' } })).headers['x-cache'],
    ).toBe('HIT');
    const bob = await request(gw.url, '/by-session', { headers: { cookie: 'session=bob' } });
    expect(bob.headers['x-cache']).toBe('MISS');
    expect(bob.json!.user).toBe('bob');
  });
});
