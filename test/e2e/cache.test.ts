import type http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { startUpstream, type TestUpstream, type UpstreamHandler } from '../helpers/upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { request } from '../helpers/http.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** An upstream that counts its calls and answers with the count, plus whatever headers are given. */
async function countingUpstream(
  headers: (req: http.IncomingMessage) => http.OutgoingHttpHeaders = () => ({}),
  delayMs = 0,
): Promise<TestUpstream> {
  let calls = 0;
  const handler: UpstreamHandler = (req, res) => {
    calls += 1;
    const body = JSON.stringify({ call: calls, lang: req.headers['accept-language'] ?? null, url: req.url });
    const timer = setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json', ...headers(req) });
      res.end(body);
    }, delayMs);
    res.on('close', () => clearTimeout(timer));
  };
  const up = await startUpstream(handler);
  cleanup.push(() => up.close());
  return up;
}

async function gateway(config: GatewayConfigInput): Promise<TestGateway> {
  const gw = await startTestGateway(config);
  cleanup.push(() => gw.close());
  return gw;
}

type CacheInput = NonNullable<NonNullable<GatewayConfigInput['routes']>[number]['cache']>;

const cached = (
  up: TestUpstream,
  cache: CacheInput = { ttl: '30s' },
  extra: Record<string, unknown> = {},
): GatewayConfigInput => ({
  services: { catalog: { targets: [up.url] } },
  routes: [{ path: '/api/catalog', service: 'catalog', cache, ...extra }],
});

describe('response cache', () => {
  it('answers MISS then HIT from one upstream call, with X-Cache and Age', async () => {
    const up = await countingUpstream(() => ({ age: '7' }));
    const gw = await gateway(cached(up));
    const first = await request(gw.url, '/api/catalog?b=2&a=1');
    const second = await request(gw.url, '/api/catalog?a=1&b=2');
    expect(first.headers['x-cache']).toBe('MISS');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.json).toEqual(first.json);
    expect(Number(second.headers.age)).toBeGreaterThanOrEqual(7);
    expect(second.headers['content-length']).toBe(String(Buffer.byteLength(second.body)));
    expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
    expect(up.requests).toHaveLength(1);
    const head = await request(gw.url, '/api/catalog?a=1&b=2', { method: 'HEAD' });
    expect(head.headers['x-cache']).toBe('HIT');
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(first.body)));
    expect(up.requests).toHaveLength(1);
    const finished = gw.seen.filter((e) => e.type === 'request-finished').map((e) => e.outcome.cache);
    expect(finished).toEqual(['MISS', 'HIT', 'HIT']);
  });

  it('keys by path and query: another query is another entry', async () => {
    const up = await countingUpstream();
    const gw = await gateway(cached(up));
    await request(gw.url, '/api/catalog?page=1');
    const other = await request(gw.url, '/api/catalog?page=2');
    expect(other.headers['x-cache']).toBe('MISS');
    expect(other.json).toMatchObject({ call: 2, url: '/api/catalog?page=2' });
  });

  it('never hands one caller the answer cached for another (real API keys)', async () => {
    const up = await countingUpstream();
    const gw = await gateway(cached(up, { ttl: '30s' }, { auth: 'apiKey' }));
    const alice = (await gw.state.keys.create({ name: 'alice', scopes: [] })).key;
    const bob = (await gw.state.keys.create({ name: 'bob', scopes: [] })).key;
    const as = (key: string) => request(gw.url, '/api/catalog', { headers: { 'x-api-key': key } });
    const a1 = await as(alice);
    const b1 = await as(bob);
    const a2 = await as(alice);
    const b2 = await as(bob);
    expect([
      a1.headers['x-cache'],
      b1.headers['x-cache'],
      a2.headers['x-cache'],
      b2.headers['x-cache'],
    ]).toEqual(['MISS', 'MISS', 'HIT', 'HIT']);
    expect(a2.json).toMatchObject({ call: 1 });
    expect(b2.json).toMatchObject({ call: 2 });
    expect(up.requests).toHaveLength(2);
    expect((await request(gw.url, '/api/catalog')).status).toBe(401);
  });

  it('keeps one variant per value of the Vary headers', async () => {
    const up = await countingUpstream(() => ({ vary: 'Accept-Language' }));
    const gw = await gateway(cached(up));
    const get = (lang: string) => request(gw.url, '/api/catalog', { headers: { 'accept-language': lang } });
    const en1 = await get('en');
    const fr1 = await get('fr');
    const en2 = await get('en');
    const fr2 = await get('fr');
    expect([en1, fr1, en2, fr2].map((r) => r.headers['x-cache'])).toEqual(['MISS', 'MISS', 'HIT', 'HIT']);
    expect(en2.json).toMatchObject({ lang: 'en', call: 1 });
    expect(fr2.json).toMatchObject({ lang: 'fr', call: 2 });
    expect(up.requests).toHaveLength(2);
  });

  it('keys by the headers the route lists in `vary` even when the upstream does not say Vary', async () => {
    const up = await countingUpstream();
    const gw = await gateway(cached(up, { ttl: '30s', vary: ['accept-language'] }));
    await request(gw.url, '/api/catalog', { headers: { 'accept-language': 'en' } });
    const fr = await request(gw.url, '/api/catalog', { headers: { 'accept-language': 'fr' } });
    expect(fr.headers['x-cache']).toBe('MISS');
    expect(fr.json).toMatchObject({ lang: 'fr' });
  });

  it.each([
    ['no-store', 'no-store'],
    ['private', 'private, max-age=60'],
    ['no-cache', 'no-cache'],
    ['max-age=0', 'max-age=0'],
  ])('does not store an answer marked %s', async (_name, cacheControl) => {
    const up = await countingUpstream(() => ({ 'cache-control': cacheControl }));
    const gw = await gateway(cached(up));
    await request(gw.url, '/api/catalog');
    const second = await request(gw.url, '/api/catalog');
    expect(second.headers['x-cache']).toBe('MISS');
    expect(up.requests).toHaveLength(2);
  });

  it('does not store answers that set a cookie', async () => {
    const up = await countingUpstream(() => ({ 'set-cookie': 'session=abc' }));
    const gw = await gateway(cached(up));
    await request(gw.url, '/api/catalog');
    expect((await request(gw.url, '/api/catalog')).headers['x-cache']).toBe('MISS');
  });

  it('shares answers to requests with unchecked credentials only when the upstream says public', async () => {
    const plain = await countingUpstream();
    const gw = await gateway(cached(plain));
    const withAuth = { authorization: 'Bearer not-checked-by-gw' };
    await request(gw.url, '/api/catalog', { headers: withAuth });
    expect((await request(gw.url, '/api/catalog', { headers: withAuth })).headers['x-cache']).toBe('MISS');

    const open = await countingUpstream(() => ({ 'cache-control': 'public' }));
    const gw2 = await gateway(cached(open));
    await request(gw2.url, '/api/catalog', { headers: withAuth });
    expect((await request(gw2.url, '/api/catalog', { headers: withAuth })).headers['x-cache']).toBe('HIT');
  });

  it("prefers the upstream's s-maxage over max-age and the route ttl", async () => {
    const up = await countingUpstream(() => ({ 'cache-control': 'max-age=0, s-maxage=60' }));
    const gw = await gateway(cached(up, { ttl: '1ms' }));
    await request(gw.url, '/api/catalog');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await request(gw.url, '/api/catalog')).headers['x-cache']).toBe('HIT');
  });

  it('expires entries after the ttl', async () => {
    const up = await countingUpstream();
    const gw = await gateway(cached(up, { ttl: '150ms' }));
    await request(gw.url, '/api/catalog');
    expect((await request(gw.url, '/api/catalog')).headers['x-cache']).toBe('HIT');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const late = await request(gw.url, '/api/catalog');
    expect(late.headers['x-cache']).toBe('MISS');
    expect(late.json).toMatchObject({ call: 2 });
  });

  it('goes to the upstream when the client says no-cache, and stores the fresh answer', async () => {
    const up = await countingUpstream();
    const gw = await gateway(cached(up));
    await request(gw.url, '/api/catalog');
    const refreshed = await request(gw.url, '/api/catalog', { headers: { 'cache-control': 'no-cache' } });
    expect(refreshed.headers['x-cache']).toBe('MISS');
    expect(refreshed.json).toMatchObject({ call: 2 });
    const next = await request(gw.url, '/api/catalog');
    expect(next.headers['x-cache']).toBe('HIT');
    expect(next.json).toMatchObject({ call: 2 });
    const finished = gw.seen.filter((e) => e.type === 'request-finished').map((e) => e.outcome.cache);
    expect(finished).toEqual(['MISS', 'BYPASS', 'HIT']);
  });

  it('coalesces 50 concurrent misses into one upstream call', async () => {
    const up = await countingUpstream(() => ({}), 300);
    const gw = await gateway(cached(up));
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => request(gw.url, '/api/catalog?q=same')),
    );
    expect(up.requests).toHaveLength(1);
    expect(answers.every((a) => a.status === 200 && a.body === answers[0]!.body)).toBe(true);
    const labels = answers.map((a) => a.headers['x-cache']);
    expect(labels.filter((l) => l === 'MISS')).toHaveLength(1);
    expect(labels.filter((l) => l === 'HIT')).toHaveLength(49);
  });

  it('does not coalesce requests whose Vary values differ from the answer in flight', async () => {
    const up = await countingUpstream(() => ({ vary: 'Accept-Language' }), 200);
    const gw = await gateway(cached(up));
    const [en, fr] = await Promise.all(
      ['en', 'fr'].map((lang) => request(gw.url, '/api/catalog', { headers: { 'accept-language': lang } })),
    );
    expect(en!.json).toMatchObject({ lang: 'en' });
    expect(fr!.json).toMatchObject({ lang: 'fr' });
    expect(up.requests).toHaveLength(2);
  });

  it('keeps entries across a reload that leaves the route alone, and drops them when the route changes', async () => {
    const up = await countingUpstream();
    const config = cached(up);
    const gw = await gateway(config);
    await request(gw.url, '/api/catalog');
    await gw.reload({ ...config, routes: [...config.routes!, { path: '/api/other', service: 'catalog' }] });
    expect((await request(gw.url, '/api/catalog')).headers['x-cache']).toBe('HIT');
    await gw.reload(cached(up, { ttl: '45s' }));
    const changed = await request(gw.url, '/api/catalog');
    expect(changed.headers['x-cache']).toBe('MISS');
    expect(up.requests).toHaveLength(2);
  });

  it('streams answers bigger than maxEntrySize without storing them', async () => {
    const big = 'x'.repeat(300 * 1024);
    const up = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(big.slice(0, 1000));
      res.end(big.slice(1000));
    });
    cleanup.push(() => up.close());
    const gw = await gateway(cached(up, { ttl: '30s', maxEntrySize: '64kb' }));
    const first = await request(gw.url, '/api/catalog');
    const second = await request(gw.url, '/api/catalog');
    expect(first.body).toBe(big);
    expect(second.body).toBe(big);
    expect(second.headers['x-cache']).toBe('MISS');
    expect(up.requests).toHaveLength(2);
  });

  it('evicts least recently used entries once the store holds cacheStore.maxSize bytes', async () => {
    const up = await startUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${req.url}:`.padEnd(40 * 1024, 'y'));
    });
    cleanup.push(() => up.close());
    const gw = await gateway({ ...cached(up), cacheStore: { maxSize: '100kb' } });
    await request(gw.url, '/api/catalog/a');
    await request(gw.url, '/api/catalog/b');
    expect((await request(gw.url, '/api/catalog/a')).headers['x-cache']).toBe('HIT');
    await request(gw.url, '/api/catalog/c');
    // a was used last before c came, so b (the least recently used) made room.
    expect((await request(gw.url, '/api/catalog/a')).headers['x-cache']).toBe('HIT');
    expect((await request(gw.url, '/api/catalog/b')).headers['x-cache']).toBe('MISS');
  });

  it('passes other methods through without X-Cache', async () => {
    const up = await countingUpstream();
    const gw = await gateway(cached(up));
    const post = await request(gw.url, '/api/catalog', {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(post.status).toBe(200);
    expect(post.headers['x-cache']).toBeUndefined();
  });
});
