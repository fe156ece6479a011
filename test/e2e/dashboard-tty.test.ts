import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startUpstream, waitFor } from '../helpers/upstream.js';

/**
 * The real `gw dev` in a real pseudo-terminal: tmux (installed by .ci/run when missing) runs
 * `node bin/gw.js dev` (needs `npm run build`), the test reads the screen with capture-pane and
 * types with send-keys. Each test has its own tmux server (-L) and kills only that one.
 */
const run = promisify(execFile);
const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/gw.js');

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => undefined);
});

/** The environment of a developer's terminal: no CI (gw dev would print plain lines). */
function terminalEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  delete env.CI;
  delete env.CONTINUOUS_INTEGRATION;
  delete env.NO_COLOR;
  delete env.TMUX;
  return env;
}

async function startTerminal(command: string[], cwd: string) {
  const socket = `gw-dashboard-e2e-${process.pid}-${Date.now()}`;
  const conf = path.join(cwd, 'tmux.conf');
  await writeFile(conf, 'set -g status off\n');
  // A shell around gw records its exit code: tmux's own pane_dead_status proved unreliable here
  // (the tmux server sometimes left the exited process unreaped).
  const exitFile = path.join(cwd, 'exit-code');
  const script = `"$0" "$@"; echo $? > '${exitFile}'`;
  // The server's socket lives in the test's temporary folder, which is removed afterwards.
  const env = { ...terminalEnv(), TMUX_TMPDIR: cwd };
  const tmux = (...args: string[]) => run('tmux', ['-L', socket, '-f', conf, ...args], { env, cwd });
  const size = ['-x', '120', '-y', '40'];
  await tmux('new-session', '-d', '-s', 'gw', ...size, '-c', cwd, 'sh', '-c', script, ...command);
  cleanup.push(() => tmux('kill-server'));
  return {
    screen: async () => (await tmux('capture-pane', '-p', '-t', 'gw')).stdout,
    press: (key: string) => tmux('send-keys', '-t', 'gw', key),
    /** undefined while gw runs, then its exit code (128 + n when a signal n ended it). */
    exitCode: async () => {
      const text = await readFile(exitFile, 'utf8').catch(() => '');
      return text.trim() === '' ? undefined : Number(text.trim());
    },
  };
}

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

async function waitForExit(terminal: Awaited<ReturnType<typeof startTerminal>>): Promise<number | undefined> {
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
