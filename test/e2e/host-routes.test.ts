import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { request } from '../helpers/http.js';
import { runGw } from '../helpers/gw-process.js';
import { createProject } from '../helpers/project.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('host-based routes through a real gateway (plain HTTP)', () => {
  it('routes by Host: exact over wildcard over no host; unknown hosts still refused', async () => {
    const names = ['api', 'preview', 'app'] as const;
    const ups = await Promise.all(names.map(() => startUpstream()));
    for (const up of ups) cleanup.push(() => up.close());
    const [api, preview, app] = ups as [(typeof ups)[0], (typeof ups)[0], (typeof ups)[0]];
    const gw = await startTestGateway({
      services: {
        api: { targets: [api.url] },
        preview: { targets: [preview.url] },
        app: { targets: [app.url] },
      },
      routes: [
        { path: '/', service: 'app' },
        { host: '*.preview.test', path: '/', service: 'preview' },
        { host: 'API.localhost', path: '/billing', service: 'api', stripPrefix: '/billing' },
      ],
    });
    cleanup.push(() => gw.close());
    const port = new URL(gw.url).port;

    const viaApi = await request(gw.url, '/billing/x?y=1', { headers: { host: `api.localhost:${port}` } });
    expect(viaApi.status).toBe(200);
    expect(api.requests.map((r) => r.url)).toEqual(['/x?y=1']);

    const viaPreview = await request(gw.url, '/billing/x', {
      headers: { host: `Feature-1.PREVIEW.test:${port}` },
    });
    expect(viaPreview.status).toBe(200);
    expect(preview.requests.map((r) => r.url)).toEqual(['/billing/x']);
    // The client's Host goes upstream as it was sent.
    expect(preview.requests[0]!.headers.host).toBe(`Feature-1.PREVIEW.test:${port}`);

    await request(gw.url, '/billing/x', { headers: { host: `localhost:${port}` } });
    await request(gw.url, '/other', { headers: { host: `api.localhost:${port}` } });
    expect(app.requests.map((r) => r.url)).toEqual(['/billing/x', '/other']);

    // A host neither routed nor allowed is still refused by the DNS-rebinding guard.
    const evil = await request(gw.url, '/', { headers: { host: 'evil.test' } });
    expect(evil.json?.code).toBe('GW_HOST_NOT_ALLOWED');
    expect(app.requests).toHaveLength(2);
  });
});

describe('gw routes test with a URL', () => {
  it('explains which host rule won for https://, http:// and a bare path', async () => {
    const p = await createProject({
      'gateway.config.json': JSON.stringify({
        services: {
          api: { targets: ['http://127.0.0.1:8001'] },
          app: { targets: ['http://127.0.0.1:8002'] },
        },
        routes: [
          { path: '/', service: 'app' },
          { host: '*.localhost', path: '/billing', service: 'app' },
          { host: 'api.localhost', path: '/billing', service: 'api', stripPrefix: '/billing' },
        ],
      }),
    });
    cleanup.push(() => p.cleanup());
    const exact = await runGw(['routes', 'test', 'GET', 'https://api.localhost/billing/x?y=1'], {
      cwd: p.dir,
    });
    expect(exact.code).toBe(0);
    expect(exact.stdout).toContain("host api.localhost is the route's exact host api.localhost");
    expect(exact.stdout).toContain('http://127.0.0.1:8001/x?y=1');
    const json = JSON.parse(
      (await runGw(['routes', 'test', 'GET', 'http://shop.localhost:8080/billing', '--json'], { cwd: p.dir }))
        .stdout,
    );
    expect(json).toMatchObject({ route: '* *.localhost/billing', host: '*.localhost', service: 'app' });
    expect(json.why).toContain(
      'host shop.localhost matches the wildcard *.localhost (no exact host route took it)',
    );
    const bare = await runGw(['routes', 'test', 'GET', '/billing', '--json'], { cwd: p.dir });
    expect(JSON.parse(bare.stdout)).toMatchObject({ route: '* /', host: null });
    expect(JSON.parse(bare.stdout).why).toContain('no host given: only routes without `host` can match');
  });
});
