import { rename, unlink } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/dev/start-dev-server.js';
import type { EventOf, GatewayEvent } from '../../src/events/gateway-events.js';
import { startUpstream, waitFor, type TestUpstream, type UpstreamHandler } from '../helpers/upstream.js';
import { request } from '../helpers/http.js';
import { configSource, createProject, type Project, type RouteSpec } from '../helpers/project.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

interface Running {
  project: Project;
  server: DevServer;
  up: TestUpstream;
  seen: GatewayEvent[];
  loads(): Array<EventOf<'config-loaded'>>;
  rejections(): Array<EventOf<'config-rejected'>>;
  /** Writes gateway.config.ts with these routes, all on the one upstream. */
  source(routes: RouteSpec[]): string;
}

async function start(
  routes: RouteSpec[],
  handler?: UpstreamHandler,
  files: Record<string, string> = {},
): Promise<Running> {
  const up = await startUpstream(handler);
  cleanup.push(() => up.close());
  const source = (r: RouteSpec[]) => configSource({ s: [up.url] }, r);
  const project = await createProject({ 'gateway.config.ts': source(routes), ...files });
  cleanup.push(() => project.cleanup());
  const server = await startDevServer({
    cwd: project.dir,
    port: 0,
    host: '127.0.0.1',
    dashboard: false,
    logFormat: 'json',
    stateDir: project.path('.gw'),
  });
  cleanup.push(() => server.close());
  const seen: GatewayEvent[] = [];
  cleanup.push(async () => unsubscribe());
  const unsubscribe = server.gateway.events.subscribe((event) => seen.push(event));
  return {
    project,
    server,
    up,
    seen,
    loads: () => seen.filter((e): e is EventOf<'config-loaded'> => e.type === 'config-loaded' && !e.initial),
    rejections: () => seen.filter((e): e is EventOf<'config-rejected'> => e.type === 'config-rejected'),
    source,
  };
}

const status = async (r: Running, path: string) => (await request(r.server.gateway.url, path)).status;

describe('hot reload of gateway.config.ts', { timeout: 60_000 }, () => {
  it('a good edit: the new route serves and the reload says what changed', async () => {
    const r = await start([{ path: '/a', service: 's' }]);
    expect(await status(r, '/b')).toBe(404);
    await r.project.write(
      'gateway.config.ts',
      r.source([
        { path: '/a', service: 's' },
        { path: '/b', service: 's', methods: ['GET'] },
      ]),
    );
    await waitFor(() => r.loads().length === 1, 15_000);
    expect(r.loads()[0]!.changes).toEqual({ added: ['GET /b'], removed: [], changed: [] });
    expect(await status(r, '/b')).toBe(200);
    expect(await status(r, '/a')).toBe(200);
    await r.project.write('gateway.config.ts', r.source([{ path: '/a', service: 's', timeout: '5s' }]));
    await waitFor(() => r.loads().length === 2, 15_000);
    expect(r.loads()[1]!.changes).toEqual({ added: [], removed: ['GET /b'], changed: ['* /a'] });
    expect(await status(r, '/b')).toBe(404);
  });

  it('a bad edit: config-rejected names the file and the field path; the old config keeps serving', async () => {
    const r = await start([{ path: '/a', service: 's' }]);
    const configFile = r.project.path('gateway.config.ts');
    await r.project.write(
      'gateway.config.ts',
      r
        .source([
          { path: '/a', service: 's' },
          { path: '/b', service: 'nope' },
        ])
        .replace('"service":"s"', '"sevice":"s"'),
    );
    await waitFor(() => r.rejections().length === 1, 15_000);
    const rejected = r.rejections()[0]!;
    expect(rejected.file).toBe(configFile);
    expect(rejected.error.code).toBe('GW_CONFIG_INVALID');
    expect(rejected.error.file).toBe(configFile);
    const paths = rejected.error.problems.map((p) => p.path);
    expect(paths).toContain('routes[0].sevice');
    expect(paths).toContain('routes[1].service');
    expect(rejected.error.problems.find((p) => p.path === 'routes[0].sevice')?.hint ?? '').toContain(
      'service',
    );
    expect(await status(r, '/a')).toBe(200);
    expect(await status(r, '/b')).toBe(404);

    // A syntax error is a load failure, also reported; then a fix reloads.
    await r.project.write('gateway.config.ts', 'export default {{{');
    await waitFor(() => r.rejections().length === 2, 15_000);
    expect(r.rejections()[1]!.error.code).toBe('GW_CONFIG_LOAD_FAILED');
    expect(r.rejections()[1]!.error.message).toContain(`${configFile}:1:`);
    expect(await status(r, '/a')).toBe(200);
    await r.project.write('gateway.config.ts', r.source([{ path: '/c', service: 's' }]));
    await waitFor(() => r.loads().length === 1, 15_000);
    expect(await status(r, '/c')).toBe(200);
    expect(await status(r, '/a')).toBe(404);
  });

  it('an edit to an imported module reloads', async () => {
    const routesModule = (path: string) =>
      `export const routes = [{ path: ${JSON.stringify(path)}, service: 's' }];\n`;
    const r = await start([], undefined, {
      'routes/index.ts': routesModule('/first'),
    });
    await r.project.write(
      'gateway.config.ts',
      `import { defineConfig } from 'gw';\nimport { routes } from './routes/index.js';\nexport default defineConfig({ services: { s: { targets: [${JSON.stringify(r.up.url)}] } }, routes });\n`,
    );
    await waitFor(() => r.loads().length === 1, 15_000);
    expect(await status(r, '/first')).toBe(200);
    await r.project.write('routes/index.ts', routesModule('/second'));
    await waitFor(() => r.loads().length === 2, 15_000);
    expect(await status(r, '/second')).toBe(200);
    expect(await status(r, '/first')).toBe(404);
  });

  it('a module newly imported by a rejected edit is watched: fixing it reloads', async () => {
    const r = await start([{ path: '/a', service: 's' }]);
    await r.project.write('routes/broken.ts', 'export const routes = [{ path: "/fixed", service: "s" }'); // missing ]
    await r.project.write(
      'gateway.config.ts',
      `import { defineConfig } from 'gw';\nimport { routes } from './routes/broken.js';\nexport default defineConfig({ services: { s: { targets: [${JSON.stringify(r.up.url)}] } }, routes });\n`,
    );
    await waitFor(() => r.rejections().length === 1, 15_000);
    expect(r.rejections()[0]!.error.code).toBe('GW_CONFIG_LOAD_FAILED');
    expect(r.rejections()[0]!.error.message).toContain('broken.ts');
    // The watcher adds the new folder asynchronously; an editor saving again is what a user does.
    const fixed = 'export const routes = [{ path: "/fixed", service: "s" }];\n';
    await waitFor(async () => {
      if (r.loads().length === 1) return true;
      await r.project.write('routes/broken.ts', fixed);
      return waitFor(() => r.loads().length === 1, 1_000).then(
        () => true,
        () => false,
      );
    }, 20_000);
    expect(await status(r, '/fixed')).toBe(200);
  });

  it('an editor rename-save is picked up every time', async () => {
    const r = await start([{ path: '/v0', service: 's' }]);
    for (let i = 1; i <= 3; i++) {
      await r.project.renameSave('gateway.config.ts', r.source([{ path: `/v${i}`, service: 's' }]));
      await waitFor(() => r.loads().length === i, 15_000);
      expect(await status(r, `/v${i}`)).toBe(200);
      expect(await status(r, `/v${i - 1}`)).toBe(404);
    }
    expect(r.rejections()).toEqual([]);
  });

  it('a backup-rename save (move the file away, write a new one) reloads and is not a deletion', async () => {
    const r = await start([{ path: '/v0', service: 's' }]);
    const configFile = r.project.path('gateway.config.ts');
    for (let i = 1; i <= 3; i++) {
      await rename(configFile, `${configFile}~`);
      await r.project.write('gateway.config.ts', r.source([{ path: `/v${i}`, service: 's' }]));
      await waitFor(() => r.loads().length === i, 15_000);
      expect(await status(r, `/v${i}`)).toBe(200);
    }
    expect(r.rejections()).toEqual([]);
  });

  it('rapid saves coalesce and the final content wins', async () => {
    const r = await start([{ path: '/v0', service: 's' }]);
    for (let i = 1; i <= 10; i++)
      await r.project.write('gateway.config.ts', r.source([{ path: `/v${i}`, service: 's' }]));
    await waitFor(async () => (await status(r, '/v10')) === 200, 15_000);
    // Let any queued reload run, then check that nothing older won.
    await r.server.reload();
    expect(await status(r, '/v10')).toBe(200);
    expect(await status(r, '/v9')).toBe(404);
    expect(r.loads().length).toBeLessThan(10);
    expect(r.rejections()).toEqual([]);
  });

  it('deleting the file keeps the old config serving and says so; restoring it reloads', async () => {
    const r = await start([{ path: '/a', service: 's' }]);
    const configFile = r.project.path('gateway.config.ts');
    await unlink(configFile);
    await waitFor(() => r.rejections().length === 1, 15_000);
    expect(r.rejections()[0]!.error.code).toBe('GW_CONFIG_DELETED');
    expect(r.rejections()[0]!.file).toBe(configFile);
    expect(await status(r, '/a')).toBe(200);
    await r.project.write('gateway.config.ts', r.source([{ path: '/back', service: 's' }]));
    await waitFor(() => r.loads().length === 1, 15_000);
    expect(await status(r, '/back')).toBe(200);
  });

  it('traffic during a series of reloads sees no failed request', async () => {
    const r = await start([{ path: '/steady', service: 's' }]);
    const statuses: number[] = [];
    let stop = false;
    const traffic = (async () => {
      while (!stop) statuses.push(await status(r, '/steady/x'));
    })();
    for (let i = 1; i <= 3; i++) {
      await r.project.write(
        'gateway.config.ts',
        r.source([
          { path: '/steady', service: 's' },
          { path: `/extra${i}`, service: 's' },
        ]),
      );
      await waitFor(() => r.loads().length === i, 15_000);
    }
    stop = true;
    await traffic;
    expect(statuses.length).toBeGreaterThan(3);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it.each([
    ['keeps the service', false],
    ['replaces the service (its agent is retired)', true],
  ])(
    'requests in flight during a reload that %s finish on the old gateway; new ones use the new config',
    async (_name, replace) => {
      const held: Array<() => void> = [];
      const r = await start([{ path: '/slow', service: 's' }], (req, res) => {
        if (req.url === '/slow') held.push(() => res.end('old gateway answer'));
        else res.end('new');
      });
      const inFlight = request(r.server.gateway.url, '/slow');
      await waitFor(() => held.length === 1);
      const next = replace
        ? configSource({ other: [r.up.url.replace('127.0.0.1', 'localhost')] }, [
            { path: '/fresh', service: 'other' },
          ])
        : r.source([{ path: '/fresh', service: 's' }]);
      await r.project.write('gateway.config.ts', next);
      await waitFor(() => r.loads().length === 1, 15_000);
      expect(await status(r, '/fresh')).toBe(200);
      expect(await status(r, '/slow')).toBe(404);
      held[0]!();
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(answer.body).toBe('old gateway answer');
      // And the process keeps serving on the new gateway afterwards.
      expect(await status(r, '/fresh/again')).toBe(200);
    },
  );
});
