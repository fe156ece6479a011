import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { createTempProject, failure, type TempProject } from './temp-project.js';

let project: TempProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

/** Packages of each kind, as a project's node_modules holds them. */
const packages = {
  'node_modules/esm-default/package.json': JSON.stringify({
    name: 'esm-default',
    type: 'module',
    main: 'index.js',
  }),
  'node_modules/esm-default/index.js':
    'export default function seven() { return 7; }\nexport const named = 8;\n',
  'node_modules/cjs-plain/package.json': JSON.stringify({ name: 'cjs-plain', main: 'index.js' }),
  'node_modules/cjs-plain/index.js': 'exports.port = 9;\nexports.kind = "cjs";\n',
  'node_modules/dual/package.json': JSON.stringify({
    name: 'dual',
    exports: { import: './index.mjs', require: './index.cjs' },
  }),
  'node_modules/dual/index.mjs': 'export default 1;\n',
  'node_modules/dual/index.cjs': 'module.exports = 2;\n',
};

describe('loadConfig: module semantics of the config', () => {
  it.each([
    ['an ES module project', JSON.stringify({ type: 'module' })],
    ['a CommonJS project', JSON.stringify({ type: 'commonjs' })],
    ['a folder without package.json', undefined],
  ])('imports packages as Node does, in %s', async (_, packageJson) => {
    project = await createTempProject({
      ...packages,
      ...(packageJson ? { 'package.json': packageJson } : {}),
      'gateway.config.ts': `import seven, { named } from 'esm-default';
import plain, { kind } from 'cjs-plain';
import * as everything from 'esm-default';
import dual from 'dual';
export default { port: seven() * 1000 + named * 100 + plain.port * 10 + dual, host: kind + everything.named };
`,
    });
    const { config } = await loadConfig({ cwd: project.dir });
    expect(config.port).toBe(7891);
    expect(config.host).toBe('cjs8');
  });

  it('evaluates packages in the order an ES module graph would', async () => {
    const recorder = (name: string) => ({
      [`node_modules/${name}/package.json`]: JSON.stringify({ name, type: 'module', main: 'index.js' }),
      [`node_modules/${name}/index.js`]: `(globalThis.gwPackageOrder ??= []).push('${name}');\n`,
    });
    project = await createTempProject({
      ...['zeta', 'alpha', 'mid', 'omega', 'beta'].reduce(
        (files, name) => ({ ...files, ...recorder(name) }),
        {},
      ),
      'routes/first.ts': `import 'omega';\n`,
      'routes/second.ts': `import 'beta';\n`,
      'gateway.config.ts': `import './routes/first';
import 'zeta';
import 'alpha';
import './routes/second';
import 'mid';
export default () => ({ host: (globalThis as { gwPackageOrder?: string[] }).gwPackageOrder?.join(',') });
`,
    });
    const { config } = await loadConfig({ cwd: project.dir });
    expect(config.host).toBe('omega,zeta,alpha,beta,mid');
  });

  it('loads a CommonJS config with require() of packages and __dirname', async () => {
    project = await createTempProject({
      ...packages,
      'package.json': JSON.stringify({ type: 'commonjs' }),
      'gateway.config.js': `const path = require('node:path');
const dual = require('dual');
module.exports = { port: require('cjs-plain').port * 1000 + dual, host: path.basename(__dirname) };
`,
    });
    const { config } = await loadConfig({ cwd: project.dir });
    expect(config.port).toBe(9002);
    expect(config.host).toBe(project.dir.split('/').pop());
  });

  it('serves a dynamic import() of a package from the config folder', async () => {
    project = await createTempProject({
      ...packages,
      'gateway.config.ts': `export default async () => ({ port: (await import('esm-default')).named });\n`,
    });
    expect((await loadConfig({ cwd: project.dir })).config.port).toBe(8);
  });

  it('reports an import of a name a package does not export, at the import', async () => {
    project = await createTempProject({
      ...packages,
      'gateway.config.ts': `import { missing } from 'esm-default';\nexport default { port: missing };\n`,
    });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(error.code).toBe('GW_CONFIG_LOAD_FAILED');
    expect(error.message).toContain('missing');
    expect(error.message).toContain(`${project.path('gateway.config.ts')}:1:`);
  });

  it('runs the config in strict mode, as an ES module would', async () => {
    project = await createTempProject({
      'gateway.config.ts': `export default { port: (function () { return this === undefined ? 1 : 2; })() };\n`,
    });
    expect((await loadConfig({ cwd: project.dir })).config.port).toBe(1);
  });

  it('loads a config with top-level await', async () => {
    project = await createTempProject({
      ...packages,
      'gateway.config.ts': `import { named } from 'esm-default';
const port = await Promise.resolve(named + 1000);
export default { port };
`,
    });
    const loaded = await loadConfig({ cwd: project.dir });
    expect(loaded.config.port).toBe(1008);
    expect(loaded.dependencies).toEqual([project.path('gateway.config.ts')]);
  });

  it('loads a module that uses top-level await through an import', async () => {
    project = await createTempProject({
      'gateway.config.ts': `import { port } from './port';\nexport default { port };\n`,
      'port.ts': `export const port: number = await Promise.resolve(1234);\n`,
    });
    const loaded = await loadConfig({ cwd: project.dir });
    expect(loaded.config.port).toBe(1234);
    expect(loaded.dependencies.sort()).toEqual([project.path('gateway.config.ts'), project.path('port.ts')]);
  });

  it('gives import.meta to a config that uses more of it than its url', async () => {
    project = await createTempProject({
      'gateway.config.ts': `export default { port: typeof import.meta.resolve === 'function' ? 2 : 1 };\n`,
    });
    expect((await loadConfig({ cwd: project.dir })).config.port).toBe(2);
  });

  it('sees each edit of the config and its modules, save after save', async () => {
    project = await createTempProject({
      'gateway.config.ts': `import { base } from './base';\nexport default { port: base + 0 };\n`,
      'base.ts': 'export const base = 1000;\n',
    });
    for (let edit = 1; edit <= 8; edit++) {
      if (edit % 2) await project.write('base.ts', `export const base = ${1000 * edit};\n`);
      else
        await project.write(
          'gateway.config.ts',
          `import { base } from './base';\nexport default { port: base + ${edit} };\n`,
        );
      const expected = 1000 * (edit % 2 ? edit : edit - 1) + (edit % 2 ? edit - 1 : edit);
      expect((await loadConfig({ cwd: project.dir })).config.port).toBe(expected);
    }
  });
});

describe('loadConfig: where a config that throws went wrong', () => {
  it('names the line and column in the config itself, below its imports', async () => {
    project = await createTempProject({
      'gateway.config.ts': `import { a } from './a';
import { b } from './b';

const merged: Record<string, unknown> = { ...a, ...b };
if (merged) throw new Error('stop here');
export default merged;
`,
      'a.ts': 'export const a = {\n  port: 1,\n};\n',
      'b.ts': 'export const b = {\n  host: "x",\n};\n',
    });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(error.message).toContain(`Could not load ${project.path('gateway.config.ts')}:5:19: stop here`);
  });

  it('names the column on the first line as written', async () => {
    project = await createTempProject({
      'gateway.config.ts': `import { fail } from './fail';\nexport default fail();\n`,
      'fail.ts': `export const fail = (): never => { throw new Error('first line'); };\n`,
    });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(error.message).toContain(`${project.path('fail.ts')}:1:42: first line`);
    // The cause's own stack names the same places, for whoever prints it.
    expect((error.cause as Error).stack).toContain(`${project.path('fail.ts')}:1:42`);
    expect((error.cause as Error).stack).toContain(`${project.path('gateway.config.ts')}:2:`);
  });

  it('names the line in a config with top-level await', async () => {
    project = await createTempProject({
      'gateway.config.ts': `await Promise.resolve();\n\nthrow new Error('after await');\n`,
    });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(error.message).toContain(`${project.path('gateway.config.ts')}:3:`);
    expect(error.message).toContain('after await');
  });

  it('names the column of a build error on the first line as written', async () => {
    project = await createTempProject({
      'gateway.config.ts': `import x from './nowhere';\nexport default x;\n`,
    });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(error.message).toContain(`${project.path('gateway.config.ts')}:1:15:`);
  });
});
