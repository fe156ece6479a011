import type http from 'node:http';
import type { BrowserContext } from 'playwright-core';
import { launchChromium, servePage, type TestBrowser } from '../helpers/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/**
 * A real browser calling the gateway from a page on another origin (issue 4). Debian's chromium
 * package is the browser (`apt-get install -y chromium`; .ci/run installs it): when it is missing
 * this suite fails, it never skips.
 */

/** What the page's script reports back. */
interface FetchReport {
  ok: boolean;
  status?: number;
  body?: unknown;
  requestId?: string | null;
  error?: string;
}

/** Serves one page whose script calls the gateway, on 127.0.0.1 at its own port (its own origin). */
async function startPage(): Promise<{ url: string; close(): Promise<void> }> {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>app</title></head><body>
<script>
  window.callGateway = async function (base, login) {
    try {
      if (login) await fetch(base + '/api/login', { credentials: 'include' });
      const res = await fetch(base + '/api/items/1', {
        method: 'PUT',
        credentials: 'include',
        headers: { 'content-type': 'application/json', 'x-trace': 'browser' },
        body: JSON.stringify({ name: 'tea' }),
      });
      return { ok: true, status: res.status, body: await res.json(), requestId: res.headers.get('x-request-id') };
    } catch (error) {
      return { ok: false, error: String(error) };
    }
  };
</script></body></html>`;
  return servePage(html);
}

describe('cors in a real browser', () => {
  let up: TestUpstream;
  let gw: TestGateway;
  let allowedPage: Awaited<ReturnType<typeof startPage>>;
  let otherPage: Awaited<ReturnType<typeof startPage>>;
  let browser: BrowserContext;
  let chrome: TestBrowser;

  beforeAll(async () => {
    up = await startUpstream((req, res, body) => {
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
      if (req.url === '/api/login') headers['set-cookie'] = 'sid=s1; Path=/; SameSite=Lax';
      res.writeHead(200, headers);
      res.end(
        JSON.stringify({
          method: req.method,
          cookie: req.headers.cookie ?? null,
          trace: req.headers['x-trace'] ?? null,
          body,
        }),
      );
    });
    allowedPage = await startPage();
    otherPage = await startPage();
    gw = await startTestGateway({
      services: { api: { targets: [up.url] } },
      routes: [{ path: '/api', service: 'api' }],
      cors: { origins: [allowedPage.url], credentials: true },
    });
    chrome = await launchChromium();
    browser = chrome.browser;
  }, 60_000);

  afterAll(async () => {
    await chrome?.close();
    await gw?.close();
    await Promise.all([up?.close(), allowedPage?.close(), otherPage?.close()]);
  });

  /** Opens the page and runs its script: a login (sets a cookie) when asked, then the PUT. */
  async function callFrom(pageUrl: string, login: boolean): Promise<FetchReport> {
    const page = await browser.newPage();
    try {
      await page.goto(pageUrl);
      type Page = { callGateway(base: string, login: boolean): Promise<FetchReport> };
      // Runs in the page; globalThis there is the page's window.
      return await page.evaluate(
        ([base, withLogin]) => (globalThis as unknown as Page).callGateway(base, withLogin),
        [gw.url, login] as const,
      );
    } finally {
      await page.close();
    }
  }

  it('lets an allowed origin call with credentials and a custom header; the preflight never reaches the upstream', async () => {
    const report = await callFrom(allowedPage.url, true);
    expect(report).toMatchObject({ ok: true, status: 200 });
    expect(report.body).toEqual({
      method: 'PUT',
      cookie: 'sid=s1',
      trace: 'browser',
      body: '{"name":"tea"}',
    });
    expect(report.requestId).toBeTruthy();
    // The browser did send a preflight (the gateway answered it), and the upstream never saw one.
    const preflights = gw.seen.filter((e) => e.type === 'request-finished' && e.method === 'OPTIONS');
    expect(preflights.length).toBeGreaterThan(0);
    expect(preflights[0]).toMatchObject({ status: 204, outcome: { answeredBy: 'cors' } });
    expect(up.requests.map((r) => r.method)).not.toContain('OPTIONS');
    expect(up.requests.map((r) => r.method)).toContain('PUT');
  }, 60_000);

  it('fails in the browser for an origin the config does not allow', async () => {
    const before = up.requests.filter((r) => r.method === 'PUT').length;
    const report = await callFrom(otherPage.url, false);
    expect(report.ok).toBe(false);
    expect(report.error).toContain('TypeError');
    // Refused at the preflight: the PUT never went upstream.
    expect(up.requests.filter((r) => r.method === 'PUT')).toHaveLength(before);
    const refused = gw.seen.filter(
      (e) => e.type === 'request-finished' && e.method === 'OPTIONS' && e.status === 403,
    );
    expect(refused.length).toBeGreaterThan(0);
  }, 60_000);
});
