import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { request } from '../helpers/http.js';
import { listeningLine, spawnGw, type GwProcess } from '../helpers/gw-process.js';
import { configSource, createProject, repoRoot } from '../helpers/project.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

beforeAll(() => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
});

function gw(args: string[], cwd: string): GwProcess {
  const child = spawnGw(args, { cwd });
  cleanup.push(() => child.stop());
  return child;
}

interface Curl {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** A status the printed comment announces (`# 401: no credentials`); else any 2xx. */
  expected?: number;
}

/**
 * Reads a printed `curl [-X M] URL [-H 'k: v'] [-d '...'] [# comment]` line the way a shell would,
 * `$NAME` inside double quotes taken from the `export NAME=value` lines printed with it.
 */
function parseCurl(line: string, vars: Record<string, string> = {}): Curl {
  const words = [...line.trim().matchAll(/'([^']*)'|"([^"]*)"|(#.*$)|(\S+)/g)]
    .filter((m) => m[3] === undefined)
    .map((m) => m[1] ?? m[2]?.replace(/\$(\w+)/g, (_, name: string) => vars[name] ?? '') ?? m[4]!);
  const comment = /(?:^|\s)#\s*(\d{3})\b/.exec(line.replace(/'[^']*'/g, "''"));
  expect(words.shift()).toBe('curl');
  const curl: Curl = {
    method: 'GET',
    url: '',
    headers: {},
    expected: comment ? Number(comment[1]) : undefined,
  };
  while (words.length) {
    const word = words.shift()!;
    if (word === '-X') curl.method = words.shift()!;
    else if (word === '-H') {
      const [name, ...value] = words.shift()!.split(':');
      curl.headers[name!.trim().toLowerCase()] = value.join(':').trim();
    } else if (word === '-d') {
      curl.body = words.shift()!;
      if (curl.method === 'GET') curl.method = 'POST';
    } else curl.url = word;
  }
  return curl;
}

describe('gw dev as a process', { timeout: 60_000 }, () => {
  it('gw dev --demo answers every curl it prints', async () => {
    const demo = gw(['dev', '--demo', '--no-dashboard', '--port', '0'], repoRoot);
    const [, url] = await demo.waitForOutput(listeningLine);
    expect(demo.stdout().split('\n')[0]).toMatch(listeningLine);
    await demo.waitForOutput(/__gw\/health/);
    const printed = demo.stdout().split('\n');
    const vars = Object.fromEntries(
      printed.flatMap((line) => {
        const match = /^\s*export (\w+)=(\S+)$/.exec(line);
        return match ? [[match[1]!, match[2]!]] : [];
      }),
    );
    const curls = printed
      // Piped gRPC commands need a shell: test/e2e/demo-grpc.test.ts runs them.
      .filter((line) => line.trim().startsWith('curl ') && !line.includes(' | '))
      .map((line) => parseCurl(line, vars));
    expect(curls.length).toBeGreaterThanOrEqual(5);
    for (const curl of curls) {
      expect(curl.url.startsWith(url!)).toBe(true);
      const headers =
        curl.body === undefined
          ? curl.headers
          : { ...curl.headers, 'content-length': Buffer.byteLength(curl.body) };
      const res = await request(url!, curl.url.slice(url!.length), {
        method: curl.method,
        headers,
        body: curl.body,
      });
      const what = `${curl.method} ${curl.url}: ${res.body}`;
      if (curl.expected !== undefined) {
        expect(res.status, what).toBe(curl.expected);
        expect(res.headers['content-type'], what).toBe('application/problem+json');
      } else {
        expect(res.status, what).toBeGreaterThanOrEqual(200);
        expect(res.status, what).toBeLessThan(300);
      }
    }
    // Round-robin over the two users instances.
    const instances = new Set<unknown>();
    const usersCurl = curls.find((c) => c.url.endsWith('/api/users/7'))!;
    for (let i = 0; i < 4; i++) {
      instances.add((await request(url!, '/api/users/7', { headers: usersCurl.headers })).json?.instance);
    }
    expect(instances).toEqual(new Set(['users-1', 'users-2']));
    // One plain line per request (not a TTY).
    await demo.waitForOutput(/GET\s+\/api\/users\/7 200/);
  });

  it('SIGTERM right after the listening line still shuts down cleanly (exit 0, demo state removed)', async () => {
    const demo = gw(['dev', '--demo', '--no-dashboard', '--port', '0'], repoRoot);
    // The banner follows the listening line at once; the watcher may still be starting.
    const [, stateDir] = await demo.waitForOutput(/state in ([^)]+)\)/);
    process.kill(demo.child.pid!, 'SIGTERM');
    expect(await demo.exited).toBe(0);
    expect(existsSync(stateDir!)).toBe(false);
  });

  it('SIGTERM with a slow request in flight: the request completes and the process exits 0', async () => {
    let release: (() => void) | undefined;
    const up = await startUpstream((_req, res) => {
      release = () => res.end('finished after SIGTERM');
    });
    cleanup.push(() => up.close());
    const project = await createProject({
      'gateway.config.ts': configSource({ s: [up.url] }, [{ path: '/slow', service: 's' }]),
    });
    cleanup.push(() => project.cleanup());
    const dev = gw(['dev', '--no-dashboard', '--port', '0'], project.dir);
    const [, url] = await dev.waitForOutput(listeningLine);
    const inFlight = request(url!, '/slow');
    await waitFor(() => release !== undefined);
    process.kill(dev.child.pid!, 'SIGTERM');
    await dev.waitForOutput(/shutting down/);
    // Stopped accepting: a new connection is refused while the old request is still running.
    await waitFor(
      () =>
        new Promise<boolean>((resolve) => {
          const probe = net.connect(Number(new URL(url!).port), '127.0.0.1');
          probe.once('connect', () => {
            probe.destroy();
            resolve(false);
          });
          probe.once('error', () => resolve(true));
        }),
    );
    release!();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('finished after SIGTERM');
    expect(await dev.exited).toBe(0);
  });

  it('--log-format json prints one JSON object per line, reloads included', async () => {
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const project = await createProject({
      'gateway.config.ts': configSource({ s: [up.url] }, [{ path: '/a', service: 's' }]),
    });
    cleanup.push(() => project.cleanup());
    const dev = gw(['dev', '--no-dashboard', '--port', '0', '--log-format', 'json'], project.dir);
    const [, url] = await dev.waitForOutput(/"url":"(http:\/\/127\.0\.0\.1:\d+)"/);
    expect((await request(url!, '/a/1', { headers: { 'x-request-id': 'json-line-1' } })).status).toBe(200);
    await dev.waitForOutput(/json-line-1/);
    await project.write(
      'gateway.config.ts',
      configSource({ s: [up.url] }, [{ path: '/b', service: 's' }]).replace(
        "'gw';",
        "'gw';\nconst broken: number = ;",
      ),
    );
    await dev.waitForOutput(/GW_CONFIG_LOAD_FAILED/);
    const records = dev
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.find((r) => r.id === 'json-line-1')).toMatchObject({
      event: 'request',
      method: 'GET',
      status: 200,
      target: up.url,
    });
    expect(records.find((r) => r.event === 'config-rejected')).toMatchObject({
      code: 'GW_CONFIG_LOAD_FAILED',
      file: project.path('gateway.config.ts'),
    });
    expect((await request(url!, '/a')).status).toBe(200);
  });

  it('a port in use fails with GW_PORT_IN_USE and exit 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as net.AddressInfo).port;
    const project = await createProject({
      'gateway.config.ts': configSource({ s: ['http://127.0.0.1:9'] }, [{ path: '/a', service: 's' }]),
    });
    cleanup.push(() => project.cleanup());
    const dev = gw(['dev', '--no-dashboard', '--port', String(port)], project.dir);
    expect(await dev.exited).toBe(1);
    expect(dev.stderr()).toContain('GW_PORT_IN_USE');
    expect(dev.stderr()).not.toMatch(/\n\s+at /);
  });

  it('with no config anywhere, gw dev says GW_CONFIG_NOT_FOUND and suggests gw init / --demo', async () => {
    const project = await createProject();
    cleanup.push(() => project.cleanup());
    const dev = gw(['dev', '--no-dashboard', '--port', '0'], project.dir);
    expect(await dev.exited).toBe(1);
    expect(dev.stderr()).toContain('GW_CONFIG_NOT_FOUND');
    expect(dev.stderr()).toContain('gw init');
    expect(dev.stderr()).toContain('--demo');
  });

  it('an invalid config at start exits 1 with every problem and no stack trace', async () => {
    const source = configSource({ s: ['http://127.0.0.1:9'] }, [{ path: '/a', service: 'missing' }]);
    const project = await createProject({ 'gateway.config.ts': source.replace('port: 0', "port: 'eighty'") });
    cleanup.push(() => project.cleanup());
    const dev = gw(['dev', '--no-dashboard', '--port', '0'], project.dir);
    expect(await dev.exited).toBe(1);
    expect(dev.stderr()).toContain('GW_CONFIG_INVALID');
    expect(dev.stderr()).toContain('routes[0].service');
    expect(dev.stderr()).toMatch(/\bport\b/);
    expect(dev.stderr()).not.toMatch(/\n\s+at /);
  });
});
