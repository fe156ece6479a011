import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { startTerminal } from '../helpers/terminal.js';

/**
 * The inspect keys of the real `gw dev` dashboard in a real pseudo-terminal (tmux, as in
 * dashboard-tty.test.ts; needs `npm run build`): the detail view shows the bodies, `c` prints the
 * curl command, `R` replays through gw, `e` writes a HAR file. bodies are on by default here: a
 * terminal, no --log-format json.
 */
const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/gw.js');

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => undefined);
});

describe('gw dev dashboard: bodies and the inspect keys', () => {
  it('shows the bodies in the detail view; c prints curl, R shows the replayed answer, e writes a HAR file', async () => {
    // Given gw dev on a terminal, in front of an upstream that answers a small JSON body
    const upstream = await startUpstream((_req, res, body) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ saved: JSON.parse(body) as unknown }));
    });
    cleanup.push(() => upstream.close());
    const dir = await mkdtemp(path.join(tmpdir(), 'gw-inspect-dashboard-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const config = path.join(dir, 'gateway.config.json');
    await writeFile(
      config,
      JSON.stringify({
        inspect: { redact: ['password'] },
        services: { users: { targets: [upstream.url] } },
        routes: [{ path: '/api/users', service: 'users' }],
      }),
    );
    const terminal = await startTerminal(
      [process.execPath, bin, 'dev', '--config', config, '--port', '0'],
      dir,
      cleanup,
      { columns: 200, rows: 70 },
    );
    let screen = '';
    const waitForScreen = async (text: string, what: string) => {
      try {
        await waitFor(async () => (screen = await terminal.screen()).includes(text), 15_000);
      } catch {
        throw new Error(`${what}: "${text}" did not show; the screen shows:\n${screen}`);
      }
    };
    await waitForScreen('waiting for requests', 'the dashboard');
    await waitFor(
      async () => /gw http:\/\/127\.0\.0\.1:\d+/.test((screen = await terminal.screen())),
      15_000,
    );
    const url = /gw (http:\/\/127\.0\.0\.1:\d+)/.exec(screen)?.[1] ?? '';

    // When a request with a JSON body goes through, and its detail is opened
    const sent = await fetch(`${url}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-team': 'blue' },
      body: JSON.stringify({ name: 'ada', password: 'pw-s3cr3t' }),
    });
    expect(sent.status).toBe(200);
    await waitForScreen('1 in the list', 'the request in the list');
    await terminal.press('Enter');

    // Then the detail shows both bodies, pretty-printed, the password masked
    await waitForScreen('REQUEST BODY', 'the request body');
    expect(screen).toContain('"name": "ada"');
    expect(screen).toContain('"password": "[redacted]"');
    expect(screen).toMatch(/body \(application\/json, \d+ bytes\):/);
    expect(screen).toContain('"saved": {');
    expect(screen).not.toContain('pw-s3cr3t');

    // When c is pressed, Then the curl command is printed (and said to be copied)
    await terminal.press('c');
    await waitForScreen('COPIED AS CURL', 'the curl command');
    expect(screen).toContain(`curl -X POST '${url}/api/users'`);
    expect(screen).toContain("-H 'x-team: blue'");
    expect(screen).toContain('copied as curl');

    // When R is pressed, Then the request goes through gw again and its answer shows beside the first
    await terminal.press('R');
    await waitForScreen('REPLAYED THROUGH GW: 200 OK (first answer: 200)', 'the replay');
    expect(upstream.requests).toHaveLength(2);
    expect(upstream.requests[1]!.body).toBe(upstream.requests[0]!.body);
    expect(upstream.requests[1]!.headers['x-team']).toBe('blue');

    // When e is pressed, Then the kept requests are written as HAR in the current folder
    await terminal.press('e');
    await waitForScreen('HAR written to', 'the HAR export');
    const file = (await readdir(dir)).find((name) => /^gw-.+\.har$/.test(name));
    expect(file).toBeDefined();
    expect(screen).toContain(file!);
    const har = JSON.parse(await readFile(path.join(dir, file!), 'utf8')) as {
      log: { entries: Array<{ request: { postData?: { text: string } } }> };
    };
    expect(har.log.entries.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(har.log.entries[0]!.request.postData!.text)).toEqual({
      name: 'ada',
      password: '[redacted]',
    });
    await terminal.press('q');
  });
});
