import { afterEach, describe, expect, it } from 'vitest';
import { filesOfFailedLoad, loadConfig } from '../../src/config/load-config.js';
import { createTempProject, failure, type TempProject } from './temp-project.js';

const body = `{
  port: 9090,
  services: { users: { targets: ['http://127.0.0.1:8001'] } },
  routes: [{ path: '/api/users', methods: ['get'], service: 'users' }],
}`;
const yaml = `port: 9090
services:
  users:
    targets: ['http://127.0.0.1:8001']
routes:
  - path: /api/users
    methods: [get]
    service: users
`;
const json = JSON.stringify({
  port: 9090,
  services: { users: { targets: ['http://127.0.0.1:8001'] } },
  routes: [{ path: '/api/users', methods: ['get'], service: 'users' }],
});

let project: TempProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe('loadConfig: discovery', () => {
  it.each([
    ['gateway.config.ts', `const config = ${body};\nexport default config;\n`],
    ['gateway.config.mts', `export default ${body};\n`],
    ['gateway.config.js', `export default ${body};\n`],
    ['gateway.config.js', `module.exports = ${body};\n`],
    ['gateway.config.mjs', `export default ${body};\n`],
    ['gateway.config.json', json],
    ['gateway.config.yaml', yaml],
    ['gateway.config.yml', yaml],
  ])('finds %s', async (name, content) => {
    project = await createTempProject({ [name]: content });
    const loaded = await loadConfig({ cwd: project.dir });
    expect(loaded.file).toBe(project.path(name));
    expect(loaded.dir).toBe(project.dir);
    expect(loaded.config.port).toBe(9090);
    expect(loaded.config.routes[0]?.methods).toEqual(['GET']);
    expect(loaded.dependencies).toContain(project.path(name));
  });

  it('prefers gateway.config.ts over the other names', async () => {
    project = await createTempProject({
      'gateway.config.json': JSON.stringify({ port: 1 }),
      'gateway.config.ts': 'export default { port: 2 };',
    });
    const loaded = await loadConfig({ cwd: project.dir });
    expect(loaded.config.port).toBe(2);
  });

  it('loads exactly the file it is given, relative to cwd', async () => {
    project = await createTempProject({
      'gateway.config.ts': 'export default { port: 2 };',
      'configs/staging.yaml': 'port: 3\n',
    });
    const loaded = await loadConfig({ cwd: project.dir, file: 'configs/staging.yaml' });
    expect(loaded.file).toBe(project.path('configs/staging.yaml'));
    expect(loaded.config.port).toBe(3);
  });

  it('reports a missing folder config with the folder and what to run', async () => {
    project = await createTempProject({ 'README.md': 'no config here' });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(error.code).toBe('GW_CONFIG_NOT_FOUND');
    expect(error.message).toContain(project.dir);
    expect(error.hint).toContain('gw init');
    expect(error.hint).toContain('gw dev --demo');
  });

  it('does not look above the folder it runs in', async () => {
    project = await createTempProject({ 'gateway.config.ts': 'export default {};', 'app/README.md': '' });
    const error = await failure(loadConfig({ cwd: project.path('app') }));
    expect(error.code).toBe('GW_CONFIG_NOT_FOUND');
  });

  it('reports a --config file that does not exist', async () => {
    project = await createTempProject();
    const error = await failure(loadConfig({ cwd: project.dir, file: 'nope.ts' }));
    expect(error.code).toBe('GW_CONFIG_NOT_FOUND');
    expect(error.file).toBe(project.path('nope.ts'));
  });
});

describe('loadConfig: TypeScript configs', () => {
  it('loads a config that imports defineConfig from gw and its own local modules', async () => {
    project = await createTempProject({
      'gateway.config.ts': `import { defineConfig } from 'gw';
import { userRoutes } from './routes/users';
import { services } from './services.js';
export default defineConfig({ services, routes: [...userRoutes] });
`,
      'routes/users.ts': `import { prefix } from './shared';
export const userRoutes = [{ path: prefix + '/users', service: 'users' as const }];
`,
      'routes/shared.ts': `export const prefix: string = '/api';\n`,
      'services.ts': `export const services = { users: { targets: ['http://127.0.0.1:8001'] } };\n`,
    });
    const loaded = await loadConfig({ cwd: project.dir });
    expect(loaded.config.routes.map((r) => r.path)).toEqual(['/api/users']);
    expect([...loaded.dependencies].sort()).toEqual(
      ['gateway.config.ts', 'routes/shared.ts', 'routes/users.ts', 'services.ts']
        .map((f) => project!.path(f))
        .sort(),
    );
  });

  it('sees fresh contents of the config and its imports on every load', async () => {
    project = await createTempProject({
      'gateway.config.ts': `import { port } from './port';\nexport default { port };\n`,
      'port.ts': 'export const port: number = 1001;\n',
    });
    expect((await loadConfig({ cwd: project.dir })).config.port).toBe(1001);
    await project.write('port.ts', 'export const port: number = 1002;\n');
    expect((await loadConfig({ cwd: project.dir })).config.port).toBe(1002);
    await project.write(
      'gateway.config.ts',
      `import { port } from './port';\nexport default { port: port + 1 };\n`,
    );
    expect((await loadConfig({ cwd: project.dir })).config.port).toBe(1003);
  });

  it('evaluates packages once, however often the config reloads', async () => {
    project = await createTempProject({
      'node_modules/count-loads/package.json': JSON.stringify({
        name: 'count-loads',
        type: 'module',
        main: 'index.js',
      }),
      'node_modules/count-loads/index.js':
        'const g = globalThis; g.gwCountLoads = (g.gwCountLoads ?? 0) + 1; export const loads = () => g.gwCountLoads;\n',
      'gateway.config.ts': `import { loads } from 'count-loads';\nexport default () => ({ port: loads() });\n`,
    });
    const before = (globalThis as { gwCountLoads?: number }).gwCountLoads ?? 0;
    await loadConfig({ cwd: project.dir });
    await loadConfig({ cwd: project.dir });
    const third = await loadConfig({ cwd: project.dir });
    expect(third.config.port).toBe(before + 1);
    expect(third.dependencies).toEqual([project.path('gateway.config.ts')]);
  });

  it('follows a config that starts importing another module', async () => {
    project = await createTempProject({
      'gateway.config.ts': 'export default { port: 1 };\n',
      'extra.ts': 'export const port = 5;\n',
    });
    expect((await loadConfig({ cwd: project.dir })).dependencies).toEqual([
      project.path('gateway.config.ts'),
    ]);
    await project.write('gateway.config.ts', `import { port } from './extra';\nexport default { port };\n`);
    const loaded = await loadConfig({ cwd: project.dir });
    expect(loaded.config.port).toBe(5);
    expect(loaded.dependencies).toContain(project.path('extra.ts'));
  });

  it.each([
    ['a function', 'export default () => ({ port: 7 });'],
    ['an async function', 'export default async () => { await Promise.resolve(); return { port: 7 }; };'],
    ['a transpiled CommonJS default', 'module.exports = { __esModule: true, default: { port: 7 } };'],
  ])('accepts %s', async (_, content) => {
    project = await createTempProject({ 'gateway.config.ts': content });
    expect((await loadConfig({ cwd: project.dir })).config.port).toBe(7);
  });

  it('gives imported modules their own import.meta.url and __dirname', async () => {
    project = await createTempProject({
      'gateway.config.ts': `import { here } from './lib/where';
export default { services: { [here]: { targets: ['http://127.0.0.1:1'] } } };`,
      'lib/where.ts': `import { fileURLToPath } from 'node:url';
import path from 'node:path';
export const here = path.relative(path.dirname(fileURLToPath(import.meta.url)), __dirname) === '' ? path.basename(__dirname) : 'mismatch';`,
    });
    const loaded = await loadConfig({ cwd: project.dir });
    expect(Object.keys(loaded.config.services)).toEqual(['lib']);
  });

  it('freezes the config deeply and keeps functions callable', async () => {
    project = await createTempProject({
      'gateway.config.ts': `export default {
  services: { users: { targets: ['http://127.0.0.1:8001'] } },
  routes: [{ path: '/api', service: 'users', rewrite: (p: string) => p.replace('/api', '/v2') }],
};`,
    });
    const { config } = await loadConfig({ cwd: project.dir });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.routes)).toBe(true);
    expect(Object.isFrozen(config.services.users!.targets)).toBe(true);
    expect(Object.isFrozen(config.server)).toBe(true);
    const rewrite = config.routes[0]!.rewrite;
    expect(typeof rewrite === 'function' ? rewrite('/api/x') : undefined).toBe('/v2/x');
  });
});

describe('loadConfig: files that cannot load', () => {
  it('reports a syntax error with file, line and column', async () => {
    project = await createTempProject({
      'gateway.config.ts': `export default {\n  port: 8080,\n  routes: [\n};\n`,
    });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(error.code).toBe('GW_CONFIG_LOAD_FAILED');
    expect(error.file).toBe(project.path('gateway.config.ts'));
    expect(error.message).toMatch(new RegExp(`${project.path('gateway.config.ts')}:4:\\d+`));
  });

  it('reports a syntax error in an imported module with that module', async () => {
    project = await createTempProject({
      'gateway.config.ts': `import { a } from './routes/a';\nexport default a;\n`,
      'routes/a.ts': `export const a = {\n  port: ,\n};\n`,
    });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(error.code).toBe('GW_CONFIG_LOAD_FAILED');
    expect(error.message).toContain(`${project.path('routes/a.ts')}:2:`);
  });

  it('reports a local import that does not exist', async () => {
    project = await createTempProject({
      'gateway.config.ts': `import { a } from './routes/missing';\nexport default a;\n`,
    });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(error.code).toBe('GW_CONFIG_LOAD_FAILED');
    expect(error.message).toContain('./routes/missing');
    expect(error.message).toContain(`${project.path('gateway.config.ts')}:1:`);
  });

  it('reports a package that is not installed', async () => {
    project = await createTempProject({
      'gateway.config.ts': `import x from 'not-installed-package';\nexport default x;\n`,
    });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(error.code).toBe('GW_CONFIG_LOAD_FAILED');
    expect(error.message).toContain('not-installed-package');
    expect(error.message).not.toContain('.timestamp-');
  });

  it('reports an error thrown while the config runs, at its line', async () => {
    project = await createTempProject({
      'gateway.config.ts': `import { build } from './build';\nexport default build();\n`,
      'build.ts': `export function build(): object {\n  const env: string = 'x';\n  throw new Error('no ' + env);\n}\n`,
    });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(error.code).toBe('GW_CONFIG_LOAD_FAILED');
    expect(error.message).toContain('no x');
    expect(error.message).toContain(`${project.path('build.ts')}:3:`);
  });

  it('reports a function export that throws', async () => {
    project = await createTempProject({
      'gateway.config.ts': `export default async () => { throw new Error('boom'); };\n`,
    });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(error.code).toBe('GW_CONFIG_LOAD_FAILED');
    expect(error.message).toContain('boom');
  });

  it.each([
    ['gateway.config.json', '{ "port": 8080, }'],
    ['gateway.config.yaml', 'port: [8080\n'],
  ])('reports a broken %s', async (name, content) => {
    project = await createTempProject({ [name]: content });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(error.code).toBe('GW_CONFIG_LOAD_FAILED');
    expect(error.file).toBe(project.path(name));
    expect(error.message).toContain(project.path(name));
  });

  it('reports an empty file instead of skipping it', async () => {
    project = await createTempProject({ 'gateway.config.ts': '\n' });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(error.code).toBe('GW_CONFIG_INVALID');
    expect(error.file).toBe(project.path('gateway.config.ts'));
  });

  it('leaves no temporary files beside the config', async () => {
    project = await createTempProject({
      'gateway.config.ts': 'export default { port: 1 };\n',
      'bad/gateway.config.ts': 'throw new Error("x");\n',
    });
    await loadConfig({ cwd: project.dir });
    await failure(loadConfig({ cwd: project.path('bad') }));
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(project.dir)).sort()).toEqual(['bad', 'gateway.config.ts', 'node_modules']);
    expect(await readdir(project.path('bad'))).toEqual(['gateway.config.ts']);
  });
});

describe('filesOfFailedLoad: what to watch when a load fails', () => {
  it.each([
    ['a syntax error in an imported module', 'routes/a.ts', 'export const a = {\n  port: ,\n};\n'],
    ['an error thrown by an imported module', 'routes/a.ts', "export const a = {};\nthrow new Error('x');\n"],
    ['an invalid value from an imported module', 'routes/a.ts', "export const a = { port: 'x' };\n"],
  ])('names the files of %s', async (_, name, content) => {
    project = await createTempProject({
      'gateway.config.ts': `import { a } from './routes/a';\nexport default a;\n`,
      [name]: content,
    });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(filesOfFailedLoad(error).sort()).toEqual(
      [project.path('gateway.config.ts'), project.path(name)].sort(),
    );
  });

  it('names a broken JSON config', async () => {
    project = await createTempProject({ 'gateway.config.json': '{' });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(filesOfFailedLoad(error)).toEqual([project.path('gateway.config.json')]);
  });

  it('knows nothing about other errors', () => {
    expect(filesOfFailedLoad(new Error('x'))).toEqual([]);
    expect(filesOfFailedLoad(undefined)).toEqual([]);
  });
});
