import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { startTerminal, type TestTerminal } from '../helpers/terminal.js';

/**
 * The real `gw dev` in a real pseudo-terminal: tmux (installed by .ci/run when missing) runs
 * `node bin/gw.js dev` (needs `npm run build`), the test reads the screen with capture-pane and
 * types with send-keys. Each test has its own tmux server (-L) and kills only that one.
 */
const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/gw.js');

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => undefined);
});

async function startGwDev() {
  const upstream = await startUpstream();
  cleanup.push(() => upstream.close());
  const dir = await mkdtemp(path.join(tmpdir(), 'gw-dashboard-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const config = path.join(dir, 'gateway.config.json');
  await writeFile(
    config,
    JSON.stringify({
      services: { users: { targets: [upstream.url] } },
      routes: [{ name: 'users', path: '/api/users', service: 'users', stripPrefix: '/api' }],
    }),
  );
  const terminal = await startTerminal(
    [process.execPath, bin, 'dev', '--config', config, '--port', '0'],
    dir,
    cleanup,
  );
  let screen = '';
  try {
    await waitFor(async () => {
      screen = await terminal.screen();
      return /gw http:\/\/127\.0\.0\.1:\d+/.test(screen) && screen.includes('waiting for requests');
    }, 20_000);
  } catch {
    throw new Error(`the dashboard did not appear; the screen shows:\n${screen}`);
  }
  const url = /gw (http:\/\/127\.0\.0\.1:\d+)/.exec(screen)?.[1] ?? '';
  return { upstream, terminal, url, screen };
}

async function waitForExit(terminal: TestTerminal): Promise<number | undefined> {
  let exit: number | undefined;
  try {
    await waitFor(async () => (exit = await terminal.exitCode()) !== undefined, 15_000);
  } catch {
    throw new Error(`gw did not exit; the screen shows:\n${await terminal.screen()}`);
  }
  return exit;
}

describe('gw dev on a terminal', () => {
  it('shows real requests as they pass and quits cleanly on q', async () => {
    // Given gw dev in a terminal, routing /api/users to a real upstream
    const { upstream, terminal, url, screen: first } = await startGwDev();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first).toContain('q quit');

    // When requests go through it
    expect((await fetch(`${url}/api/users/1`)).status).toBe(200);
    expect((await fetch(`${url}/api/users/2?page=3`)).status).toBe(200);
    expect((await fetch(`${url}/nowhere`)).status).toBe(404);
    expect(upstream.requests.map((request) => request.url)).toEqual(['/users/1', '/users/2?page=3']);

    // Then the dashboard lists them with their status
    let screen = '';
    await waitFor(async () => (screen = await terminal.screen()).includes('/nowhere'), 10_000);
    const lineOf = (text: string) => screen.split('\n').find((line) => line.includes(text)) ?? '';
    expect(lineOf('/api/users/1 ')).toMatch(/GET\s+\/api\/users\/1\s+200/);
    expect(lineOf('/api/users/2?page=3')).toMatch(/GET\s+\/api\/users\/2\?page=3\s+200/);
    expect(lineOf('/nowhere')).toMatch(/GET\s+\/nowhere\s+404/);
    expect(screen).toContain('3 in the list');

    // When q is pressed, Then gw exits with code 0
    await terminal.press('q');
    expect(await waitForExit(terminal)).toBe(0);
  });

  it('quits cleanly on Ctrl-C too (the terminal is in raw mode, so it arrives as a key)', async () => {
    const { terminal, url } = await startGwDev();
    // Once a request shows, the dashboard has long since taken the keyboard.
    await fetch(`${url}/api/users/1`);
    await waitFor(async () => (await terminal.screen()).includes('/api/users/1'), 10_000);
    await terminal.press('C-c');
    expect(await waitForExit(terminal)).toBe(0);
  });
});
