import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../src/dev/start-gateway.js';
import { tlsPaths } from '../../src/tls/tls-home.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { launchChromium, type TestBrowser } from '../helpers/chromium.js';

/**
 * Issue 14's done-when: headless Chromium trusts gw's local CA from a fresh NSS database in a
 * temporary HOME (where Chromium on Linux reads it: $HOME/.pki/nssdb), with no flag that skips
 * certificate checks, and loads https://app.localhost:PORT/ over h2. Chromium resolves
 * *.localhost to loopback itself. Debian's chromium and certutil (libnss3-tools) are installed
 * by .ci/run: when either is missing this suite fails, it never skips.
 */
const run = promisify(execFile);

describe('gw over HTTPS in a real browser', () => {
  let gwHome: string;
  let browserHome: string;
  let up: TestUpstream;
  let gw: RunningGateway;
  let chromium: TestBrowser;

  beforeAll(async () => {
    gwHome = await mkdtemp(path.join(os.tmpdir(), 'gw-home-'));
    process.env.GW_HOME = gwHome;
    up = await startUpstream((req, res) => {
      const html = `<!doctype html><title>app</title><p>${req.url ?? ''}</p>`;
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(html) });
      res.end(html);
    });
    gw = await startGateway({
      config: {
        tls: true,
        services: { app: { targets: [up.url] } },
        routes: [{ host: 'app.localhost', path: '/', service: 'app' }],
      },
      port: 0,
      host: '127.0.0.1',
      stateDir: gwHome,
      configDir: gwHome,
    });
    // A fresh NSS database holding only gw's CA, as `gw cert trust` adds it.
    browserHome = await mkdtemp(path.join(os.tmpdir(), 'gw-browser-home-'));
    const nssdb = path.join(browserHome, '.pki', 'nssdb');
    await mkdir(nssdb, { recursive: true });
    await run('certutil', ['-d', `sql:${nssdb}`, '-N', '--empty-password']);
    await run('certutil', ['-d', `sql:${nssdb}`, '-A', '-t', 'C,,', '-n', 'gw', '-i', tlsPaths().caCert]);
    chromium = await launchChromium({ home: browserHome });
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await gw?.close(500);
    await up?.close();
    delete process.env.GW_HOME;
    for (const dir of [gwHome, browserHome]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads https://app.localhost:PORT/ with no certificate error, over h2', async () => {
    const page = await chromium.browser.newPage();
    try {
      const answer = await page.goto(`https://app.localhost:${gw.port}/hello?x=1`);
      expect(answer?.status()).toBe(200);
      expect(await page.textContent('p')).toBe('/hello?x=1');
      // Runs in the page (a string: the tests' TypeScript has no DOM types).
      const protocol: unknown = await page.evaluate(
        "performance.getEntriesByType('navigation')[0].nextHopProtocol",
      );
      expect(protocol).toBe('h2');
      // The page itself (Chromium asks for /favicon.ico after it).
      expect([up.requests[0]?.url, up.requests[0]?.headers['x-forwarded-proto']]).toEqual([
        '/hello?x=1',
        'https',
      ]);
    } finally {
      await page.close();
    }
  });
});
