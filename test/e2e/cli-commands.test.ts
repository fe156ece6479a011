import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runGw } from '../helpers/gw-process.js';
import { configSource, createProject, repoRoot, type Project } from '../helpers/project.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

beforeAll(() => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
});

async function project(files: Record<string, string> = {}): Promise<Project> {
  const p = await createProject(files);
  cleanup.push(() => p.cleanup());
  return p;
}

const seedConfig = configSource(
  { users: ['http://127.0.0.1:8001', 'http://127.0.0.1:8002'], orders: ['http://127.0.0.1:8003'] },
  [
    { path: '/api/users', methods: ['GET'], service: 'users', stripPrefix: '/api' },
    { path: '/api/orders', methods: ['POST'], service: 'orders', stripPrefix: '/api' },
  ],
);

describe('gw init', { timeout: 60_000 }, () => {
  it('writes gateway.config.ts and git-ignores .gw/, then refuses to overwrite without --force', async () => {
    const p = await project({ '.gitignore': 'node_modules' });
    const first = await runGw(['init'], { cwd: p.dir });
    expect(first.code).toBe(0);
    const written = await readFile(p.path('gateway.config.ts'), 'utf8');
    expect(written).toBe(await readFile(path.join(repoRoot, 'templates', 'gateway.config.ts'), 'utf8'));
    expect((await readFile(p.path('.gitignore'), 'utf8')).split('\n')).toEqual(['node_modules', '.gw/', '']);
    // The written config is valid as it stands.
    expect((await runGw(['check'], { cwd: p.dir })).code).toBe(0);

    const again = await runGw(['init'], { cwd: p.dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('GW_TEMPLATE_EXISTS');
    expect(again.stderr).toContain('--force');

    const forced = await runGw(['init', '--force'], { cwd: p.dir });
    expect(forced.code).toBe(0);
    expect((await readFile(p.path('.gitignore'), 'utf8')).match(/\.gw\//g)).toHaveLength(1);
  });

  it('creates .gitignore when there is none', async () => {
    const p = await project();
    expect((await runGw(['init'], { cwd: p.dir })).code).toBe(0);
    expect(await readFile(p.path('.gitignore'), 'utf8')).toBe('.gw/\n');
  });
});

describe('gw check', { timeout: 60_000 }, () => {
  it('exit 0 and a summary for a valid config', async () => {
    const p = await project({ 'gateway.config.ts': seedConfig });
    const result = await runGw(['check'], { cwd: p.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('2 routes');
  });

  it('exit 1 with every problem, each with its field path', async () => {
    const broken = configSource({ users: ['http://127.0.0.1:8001'] }, [
      { path: '/api/users', service: 'users' },
      { path: '/api/orders', service: 'orders' },
      { path: '/api/x', service: 'users', timeout: 'soon' },
    ]).replace('"path":"/api/users","service":"users"', '"path":"/api/users","sevice":"users"');
    const p = await project({ 'gateway.config.ts': broken });
    const result = await runGw(['check'], { cwd: p.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('GW_CONFIG_INVALID');
    expect(result.stderr).toContain(p.path('gateway.config.ts'));
    expect(result.stderr).toContain('routes[0].sevice');
    expect(result.stderr).toMatch(/did you mean.*service/i);
    expect(result.stderr).toContain('routes[1].service');
    expect(result.stderr).toContain('routes[2].timeout');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exit 1 when two routes can never both win', async () => {
    const p = await project({
      'gateway.config.ts': configSource({ s: ['http://127.0.0.1:8001'] }, [
        { path: '/api/users/:id', methods: ['GET'], service: 's' },
        { path: '/api/users/:userId', methods: ['GET', 'PUT'], service: 's' },
      ]),
    });
    const result = await runGw(['check'], { cwd: p.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('GW_CONFIG_INVALID');
    expect(result.stderr).toContain('routes[1]');
    expect(result.stderr).toContain('GET /api/users/:id');
  });

  it.each([
    ['no config', {}, [], 'GW_CONFIG_NOT_FOUND'],
    ['a missing --config file', {}, ['--config', 'nope.ts'], 'GW_CONFIG_NOT_FOUND'],
    ['a syntax error', { 'gateway.config.ts': 'export default {{' }, [], 'GW_CONFIG_LOAD_FAILED'],
    [
      'a throwing import',
      {
        'gateway.config.ts': "import './boom.js';\nexport default {};",
        'boom.ts': "throw new Error('boom');",
      },
      [],
      'GW_CONFIG_LOAD_FAILED',
    ],
    ['an empty file', { 'gateway.config.ts': '' }, [], 'GW_CONFIG_INVALID'],
  ])('exit 1 on %s with its code', async (_name, files: Record<string, string>, args: string[], code) => {
    const p = await project(files);
    const result = await runGw(['check', ...args], { cwd: p.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(code);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('usage errors', { timeout: 60_000 }, () => {
  it.each([[['dev', '--port', 'abc']], [['dev', '--port', '70000']], [['nonsense']]])(
    'gw %j exits 1 with a usage message and no stack trace',
    async (args) => {
      const p = await project();
      const result = await runGw(args, { cwd: p.dir });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: /m);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    },
  );
});

describe('gw routes', { timeout: 60_000 }, () => {
  it('routes list --json prints methods, path, service and targets', async () => {
    const p = await project({ 'gateway.config.ts': seedConfig });
    const result = await runGw(['routes', 'list', '--json'], { cwd: p.dir });
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(rows).toEqual([
      expect.objectContaining({
        methods: ['GET'],
        path: '/api/users',
        service: 'users',
        targets: ['http://127.0.0.1:8001', 'http://127.0.0.1:8002'],
      }),
      expect.objectContaining({
        methods: ['POST'],
        path: '/api/orders',
        service: 'orders',
        targets: ['http://127.0.0.1:8003'],
      }),
    ]);
  });

  it('routes list prints a table', async () => {
    const p = await project({ 'gateway.config.ts': seedConfig });
    const result = await runGw(['routes', 'list'], { cwd: p.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/METHODS\s+PATH\s+SERVICE/);
    expect(result.stdout).toMatch(/GET\s+\/api\/users\s+users/);
  });

  it('routes test GET /api/users/7 shows the route and the upstream URL', async () => {
    const p = await project({ 'gateway.config.ts': seedConfig });
    const result = await runGw(['routes', 'test', 'GET', '/api/users/7?x=1'], { cwd: p.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('GET /api/users');
    expect(result.stdout).toContain('http://127.0.0.1:8001/users/7?x=1');
    expect(result.stdout).toContain('http://127.0.0.1:8002/users/7?x=1');
    expect(result.stdout).toContain('stripPrefix');

    const json = await runGw(['routes', 'test', 'GET', '/api/users/../users/7', '--json'], { cwd: p.dir });
    expect(JSON.parse(json.stdout)).toMatchObject({
      matched: true,
      path: '/api/users/7',
      route: 'GET /api/users',
      service: 'users',
    });
  });

  it('routes test explains a 405, a 404 and a traversal', async () => {
    const p = await project({ 'gateway.config.ts': seedConfig });
    const wrongMethod = await runGw(['routes', 'test', 'DELETE', '/api/users/7'], { cwd: p.dir });
    expect(wrongMethod.code).toBe(1);
    expect(wrongMethod.stdout).toContain('405');
    expect(wrongMethod.stdout).toContain('GET');
    const none = await runGw(['routes', 'test', 'GET', '/nothing'], { cwd: p.dir });
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('404');
    const escape = await runGw(['routes', 'test', 'GET', '/../etc/passwd'], { cwd: p.dir });
    expect(escape.code).toBe(1);
    expect(escape.stderr).toContain('GW_BAD_PATH');
  });
});
