import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BrowserContext } from 'playwright-core';
import { launchChromium, servePage, type TestBrowser } from '../helpers/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startEchoServer, type EchoServer } from '../protocols/grpc-echo.js';

/**
 * The real `grpc-web` client library in headless Chromium, on a page of another origin, calling
 * a grpc-js server through gw (issue 13, item 4): text and binary unary calls, a text server
 * stream, a refusal, and CORS preflights on the way. Debian's chromium package is the browser;
 * when it is missing this suite fails, it never skips.
 */
const pageScript = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../protocols/browser/grpc-web-page.ts',
);

interface UnaryReport {
  text?: string;
  code?: number;
  message?: string;
}

interface StreamReport {
  texts: string[];
  code?: number;
  details?: string;
}

/** What the page script puts on its window. */
interface PageApi {
  grpcWebUnary(
    base: string,
    format: string,
    text: string,
    metadata: Record<string, string>,
  ): Promise<UnaryReport>;
  grpcWebStream(base: string, text: string, count: number, failWith: number): Promise<StreamReport>;
}

/** Serves one page with the bundled client on 127.0.0.1 at its own port (its own origin). */
async function startPage(): Promise<{ url: string; close(): Promise<void> }> {
  const bundle = await build({
    entryPoints: [pageScript],
    bundle: true,
    format: 'iife',
    write: false,
    platform: 'browser',
  });
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>app</title></head><body><script>${bundle.outputFiles[0]!.text}</script></body></html>`;
  return servePage(html);
}

describe('a gRPC-Web client in a real browser', () => {
  let server: EchoServer;
  let gw: TestGateway;
  let page: Awaited<ReturnType<typeof startPage>>;
  let browser: BrowserContext;
  let chrome: TestBrowser;
  let apiKey: string;

  beforeAll(async () => {
    server = await startEchoServer();
    page = await startPage();
    gw = await startTestGateway({
      services: { echo: { targets: [server.url], protocol: 'grpc' } },
      routes: [
        { path: '/gwtest.echo.Echo/*', service: 'echo', cors: { origins: [page.url] } },
        {
          path: '/keyed/gwtest.echo.Echo/*',
          stripPrefix: '/keyed',
          service: 'echo',
          auth: 'apiKey',
          cors: { origins: [page.url] },
        },
      ],
    });
    apiKey = (await gw.state.keys.create({ name: 'page', scopes: [] })).key;
    chrome = await launchChromium();
    browser = chrome.browser;
  }, 60_000);

  afterAll(async () => {
    await chrome?.close();
    await gw?.close();
    await Promise.all([server?.close(), page?.close()]);
  });

  /** Opens the page and calls one of its functions with `args`. */
  async function inPage<K extends keyof PageApi>(
    method: K,
    ...args: Parameters<PageApi[K]>
  ): Promise<Awaited<ReturnType<PageApi[K]>>> {
    const tab = await browser.newPage();
    try {
      await tab.goto(page.url);
      // Runs in the page: globalThis there is the page's window, where the script put its API.
      const report: unknown = await tab.evaluate(
        ([name, list]) => {
          const api = globalThis as typeof globalThis &
            Record<string, (...values: unknown[]) => Promise<unknown>>;
          return api[name]!(...list);
        },
        [method, args] as const,
      );
      return report as Awaited<ReturnType<PageApi[K]>>;
    } finally {
      await tab.close();
    }
  }

  it.each(['text', 'binary'])('a unary call in %s format, with metadata', async (format) => {
    const report = await inPage('grpcWebUnary', gw.url, format, 'browser', { 'x-from-page': 'yes' });
    expect(report).toEqual({ text: 'hello browser', code: 0 });
    expect(server.calls.at(-1)!.metadata['x-from-page']).toBe('yes');
  });

  it('a server stream in text format: every message, then OK', async () => {
    const report = await inPage('grpcWebStream', gw.url, 'tick', 3, 0);
    expect(report.texts).toEqual(['tick #0', 'tick #1', 'tick #2']);
    expect(report.code).toBe(0);
  });

  it('an upstream error status reaches the page with its message', async () => {
    const report = await inPage('grpcWebStream', gw.url, 'broken', 1, 9);
    expect(report.texts).toEqual(['broken #0']);
    expect(report.code).toBe(9);
    expect(report.details).toBe('broken');
  });

  it("gw's refusal reaches the page as a gRPC status; an API key in metadata passes", async () => {
    const refused = await inPage('grpcWebUnary', `${gw.url}/keyed`, 'text', 'x', {});
    expect(refused.code).toBe(16);
    expect(decodeURIComponent(refused.message ?? '')).toMatch(/^GW_UNAUTHENTICATED: /);
    const passed = await inPage('grpcWebUnary', `${gw.url}/keyed`, 'text', 'keyed', { 'x-api-key': apiKey });
    expect(passed).toEqual({ text: 'hello keyed', code: 0 });
  });
});
