import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/**
 * Headless Chromium for the browser tests: Debian's chromium package (`apt-get install -y
 * chromium`; .ci/run installs it). A suite that needs it fails when it is missing, never skips.
 */
export const chromiumPath = '/usr/bin/chromium';

/** No sandbox (root in CI), and nothing that would dial outside addresses on its own. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface TestBrowser {
  readonly browser: BrowserContext;
  /** Closes the browser and removes its throwaway profile. */
  close(): Promise<void>;
}

/**
 * Launches headless Chromium on a fresh profile folder. `home` is the browser's HOME: on Linux
 * Chromium reads the certificates it trusts from $HOME/.pki/nssdb.
 */
export async function launchChromium(options: { home?: string } = {}): Promise<TestBrowser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `${chromiumPath} is missing: install Debian's chromium package (apt-get install -y chromium)`,
    );
  }
  const profile = await mkdtemp(path.join(os.tmpdir(), 'gw-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    ...(options.home === undefined ? {} : { env: { ...process.env, HOME: options.home } }),
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Serves one HTML page on 127.0.0.1 (a port of its own: an origin of its own). */
export async function servePage(html: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(html),
    });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
