import { chmod, mkdir, readdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { listeningLine, runGw, spawnGw, type GwProcess } from '../helpers/gw-process.js';
import { configSource, createProject, type Project } from '../helpers/project.js';
import { request } from '../helpers/http.js';
import { startTestGateway } from '../helpers/gateway.js';
import { startUpstream, waitFor, type TestUpstream } from '../helpers/upstream.js';

/**
 * Issue 12 item 10, the parts about what gw writes: log lines a caller can shape, secrets in
 * logs and in the dashboard's request detail (both read request events), and a state folder
 * other users can write. Real `gw` processes (needs `npm run build`) and real upstreams.
 */

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function upstream(): Promise<TestUpstream> {
  const up = await startUpstream();
  cleanup.push(() => up.close());
  return up;
}

async function project(files: Record<string, string>): Promise<Project> {
  const p = await createProject(files);
  cleanup.push(() => p.cleanup());
  return p;
}

async function dev(p: Project, args: string[] = []): Promise<{ gw: GwProcess; url: string }> {
  const gw = spawnGw(['dev', '--no-dashboard', '--port', '0', ...args], { cwd: p.dir });
  cleanup.push(() => gw.stop());
  const json = args.includes('json');
  const [, url] = await gw.waitForOutput(json ? /"event":"listening","url":"([^"]+)"/ : listeningLine);
  return { gw, url: url! };
}

const secrets = ['SECRET-1', 'SECRET-2', 'SECRET-3', 'SECRET-4', 'SECRET-5', 'SECRET-6', 'SECRET-7'];
const leakyPath = `/api/search?api_key=${secrets[0]}&access_token=${secrets[1]}&token=${secrets[2]}&key=${secrets[3]}&page=2`;
const leakyHeaders = {
  cookie: `session=${secrets[4]}; theme=dark`,
  authorization: `Bearer ${secrets[5]}`,
  'x-api-key': secrets[6],
};

describe('log lines a caller can shape', () => {
  it('a token subject with NEL and an 8-bit CSI cannot start a fake plain line or drive the terminal', async () => {
    const up = await upstream();
    const p = await project({
      'gateway.config.ts': configSource({ api: [up.url] }, []).replace(
        'routes: []',
        'routes: [{ path: "/api", service: "api", auth: "jwt" }]',
      ),
    });
    const subject = 'alice\u0085\u009b2J12:00:00.000 GET    /admin 200 1.0ms';
    const issued = await runGw(['token', 'issue', '--sub', subject], { cwd: p.dir });
    expect(issued.code, issued.stderr).toBe(0);
    const { gw, url } = await dev(p);
    const res = await request(url, '/api/me', {
      headers: { authorization: `Bearer ${issued.stdout.trim()}` },
    });
    expect(res.status).toBe(200);
    await gw.waitForOutput(/GET\s+\/api\/me 200/);
    const line = gw
      .stdout()
      .split('\n')
      .find((l) => l.includes('/api/me'))!;
    expect(line).toContain('alice\\x85\\x9b2J12:00:00.000 GET');
    expect(gw.stdout()).not.toMatch(/[\u0085\u009b]/);
  });

  it('the JSON lines escape the same characters (JSON itself leaves C1 raw)', async () => {
    const up = await upstream();
    const p = await project({
      'gateway.config.ts': configSource({ api: [up.url] }, []).replace(
        'routes: []',
        'routes: [{ path: "/api", service: "api", auth: "jwt" }]',
      ),
    });
    const issued = await runGw(['token', 'issue', '--sub', 'bob\u0085\u009b31m'], { cwd: p.dir });
    const { gw, url } = await dev(p, ['--log-format', 'json']);
    await request(url, '/api/me', { headers: { authorization: `Bearer ${issued.stdout.trim()}` } });
    const [line] = await gw.waitForOutput(/\{"time"[^\n]*"path":"\/api\/me"[^\n]*\}/);
    expect(gw.stdout()).not.toMatch(/[\u0085\u009b]/);
    expect((JSON.parse(line) as { caller: string }).caller).toBe('bob\u0085\u009b31m');
  });
});

describe('secrets in logs and in the request detail', () => {
  it('query tokens and keys, Cookie and an unconsumed Authorization are redacted in plain and JSON logs', async () => {
    const up = await upstream();
    for (const format of ['pretty', 'json']) {
      const p = await project({
        'gateway.config.ts': configSource({ api: [up.url] }, [{ path: '/api', service: 'api' }]),
      });
      const { gw, url } = await dev(p, ['--log-format', format]);
      const res = await request(url, leakyPath, { headers: leakyHeaders });
      expect(res.status).toBe(200);
      await gw.waitForOutput(/\/api\/search/);
      const out = gw.stdout();
      for (const secret of secrets) expect(out, format).not.toContain(secret);
      expect(out).toContain('api_key=[redacted]');
      expect(out).toContain('page=2');
      await gw.stop();
    }
    // What the route forwards is the user's business: the upstream still got them.
    expect(up.requests.at(-1)!.url).toContain(secrets[0]);
    expect(up.requests.at(-1)!.headers.authorization).toBe(`Bearer ${secrets[5]}`);
  });

  it('the request-finished event the dashboard renders carries them redacted', async () => {
    const up = await startUpstream((_req, res) => {
      res.setHeader('set-cookie', 'sid=SECRET-8; Path=/; HttpOnly');
      res.end('ok');
    });
    cleanup.push(() => up.close());
    const gw = await startTestGateway({
      services: { api: { targets: [up.url] } },
      routes: [{ path: '/api', service: 'api' }],
    });
    cleanup.push(() => gw.close());
    expect((await request(gw.url, leakyPath, { headers: leakyHeaders })).status).toBe(200);
    await waitFor(() => gw.seen.some((e) => e.type === 'request-finished'));
    const finished = gw.seen.find((e) => e.type === 'request-finished')!;
    const text = JSON.stringify(finished);
    for (const secret of [...secrets, 'SECRET-8']) expect(text).not.toContain(secret);
    expect(finished).toMatchObject({
      requestHeaders: {
        cookie: 'session=[redacted]; theme=[redacted]',
        authorization: 'Bearer [redacted]',
        'x-api-key': '[redacted]',
      },
    });
    expect(text).toContain('sid=[redacted]; Path=/; HttpOnly');
    expect(up.requests[0]!.headers.cookie).toBe(leakyHeaders.cookie);
  });
});

describe('a world-writable --state-dir', () => {
  it('gw dev warns about it, and no key or secret is written there', async () => {
    const up = await upstream();
    const p = await project({
      'gateway.config.ts': configSource({ api: [up.url] }, [{ path: '/api', service: 'api' }]),
    });
    const shared = p.path('shared-state');
    await mkdir(shared);
    await chmod(shared, 0o777);
    const created = await runGw(['keys', 'create', '--name', 'ci', '--state-dir', shared], { cwd: p.dir });
    expect(created.code).not.toBe(0);
    expect(created.stderr).toContain('GW_STATE_DIR_INSECURE');
    const issued = await runGw(['token', 'issue', '--sub', 'ci', '--state-dir', shared], { cwd: p.dir });
    expect(issued.code).not.toBe(0);
    expect(issued.stderr).toContain('GW_STATE_DIR_INSECURE');
    expect((await readdir(shared)).filter((f) => f.endsWith('.json'))).toEqual([]);
    const { gw } = await dev(p, ['--state-dir', shared]);
    expect(gw.stdout()).toMatch(/GW_STATE_DIR_INSECURE[^\n]*shared-state/);
  });
});
