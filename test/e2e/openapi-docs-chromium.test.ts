import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { launchChromium, type TestBrowser } from '../helpers/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { request } from '../helpers/http.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/**
 * /__gw/docs in a real browser (issue 16, item 4): the page renders the gateway's document and
 * shows every route, loading everything from gw itself. Debian's chromium package is the browser
 * (`apt-get install -y chromium`; .ci/run installs it): when it is missing this suite fails, it
 * never skips.
 */

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../openapi/fixtures');

describe('/__gw/docs in headless Chromium', () => {
  let up: TestUpstream;
  let gw: TestGateway;
  let browser: BrowserContext;
  let chrome: TestBrowser;

  beforeAll(async () => {
    up = await startUpstream();
    gw = await startTestGateway({
      services: {
        orders: { targets: [up.url], openapi: path.join(fixtures, 'orders.yaml') },
        users: { targets: [up.url], openapi: path.join(fixtures, 'users-3.1.json') },
        legacy: { targets: [up.url] },
      },
      routes: [
        { path: '/api/orders', service: 'orders', stripPrefix: '/api', auth: 'apiKey' },
        { path: '/people', service: 'users', rewrite: { from: '^/people', to: '/users' }, auth: 'jwt' },
        {
          path: '/legacy',
          service: 'legacy',
          methods: ['GET', 'POST'],
          rateLimit: { limit: 5, window: '1m' },
        },
        { path: '/files/:bucket/*', service: 'legacy', methods: ['GET'] },
      ],
    });
    chrome = await launchChromium();
    browser = chrome.browser;
  }, 60_000);

  afterAll(async () => {
    await chrome?.close();
    await gw?.close();
    await up?.close();
  });

  it("renders every route's path from the gateway's document, loading nothing from elsewhere and breaking no CSP rule", async () => {
    const documented = Object.keys(
      (JSON.parse((await request(gw.url, '/__gw/openapi.json')).body) as { paths: Record<string, unknown> })
        .paths,
    ).sort();
    expect(documented).toEqual([
      '/api/orders',
      '/api/orders/{orderId}',
      '/files/{bucket}',
      '/legacy',
      '/people/{id}',
    ]);

    const page = await browser.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (req) => requested.push(req.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));
    try {
      const answer = await page.goto(`${gw.url}/__gw/docs`);
      expect(answer?.status()).toBe(200);
      // Swagger UI lists each operation with its path in data-path once the document is rendered.
      await page.waitForSelector('.opblock-summary-path', { timeout: 30_000 });
      const shown = await page.$$eval('.opblock-summary-path', (nodes) =>
        nodes.map((node) => node.getAttribute('data-path') ?? ''),
      );
      expect([...new Set(shown)].sort()).toEqual(documented);
      // Every route of the config is there, by its gateway path.
      for (const prefix of ['/api/orders', '/people', '/legacy', '/files'])
        expect(
          shown.some((p) => p.startsWith(prefix)),
          prefix,
        ).toBe(true);
      // The page took everything from gw: no CDN, no validator badge, nothing blocked by the CSP.
      expect(requested.length).toBeGreaterThan(0);
      for (const url of requested) expect(url.startsWith(`${gw.url}/`), url).toBe(true);
      expect(requested).toContain(`${gw.url}/__gw/openapi.json`);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);
});
