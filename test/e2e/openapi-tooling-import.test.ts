import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/dev/start-dev-server.js';
import { runGw } from '../helpers/gw-process.js';
import { request } from '../helpers/http.js';
import { createProject, repoRoot, type Project } from '../helpers/project.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/**
 * `gw routes import` (issue 16, item 4) with the real Swagger Petstore 3 document: the routes it
 * prints, and a config that `--write` extended serving them through gw to a real upstream.
 */

const petstore = path.join(repoRoot, 'test/fixtures/petstore/openapi.json');

const printed = [
  "{ path: '/api/pet', methods: ['PUT', 'POST'], service: 'petstore', stripPrefix: '/api' },",
  "{ path: '/api/pet/findByStatus', methods: ['GET'], service: 'petstore', stripPrefix: '/api' },",
  "{ path: '/api/pet/findByTags', methods: ['GET'], service: 'petstore', stripPrefix: '/api' },",
  "{ path: '/api/pet/:petId', methods: ['GET', 'POST', 'DELETE'], service: 'petstore', stripPrefix: '/api' },",
  "{ path: '/api/pet/:petId/uploadImage', methods: ['POST'], service: 'petstore', stripPrefix: '/api' },",
  "{ path: '/api/store/inventory', methods: ['GET'], service: 'petstore', stripPrefix: '/api' },",
  "{ path: '/api/store/order', methods: ['POST'], service: 'petstore', stripPrefix: '/api' },",
  "{ path: '/api/store/order/:orderId', methods: ['GET', 'DELETE'], service: 'petstore', stripPrefix: '/api' },",
  "{ path: '/api/user', methods: ['POST'], service: 'petstore', stripPrefix: '/api' },",
  "{ path: '/api/user/createWithList', methods: ['POST'], service: 'petstore', stripPrefix: '/api' },",
  "{ path: '/api/user/login', methods: ['GET'], service: 'petstore', stripPrefix: '/api' },",
  "{ path: '/api/user/logout', methods: ['GET'], service: 'petstore', stripPrefix: '/api' },",
  "{ path: '/api/user/:username', methods: ['GET', 'PUT', 'DELETE'], service: 'petstore', stripPrefix: '/api' },",
];

let upstream: TestUpstream;
let project: Project;
const servers: DevServer[] = [];

beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  upstream = await startUpstream();
  project = await createProject();
});

afterAll(async () => {
  for (const server of servers) await server.close();
  await project?.cleanup();
  await upstream?.close();
});

async function startGw(): Promise<DevServer> {
  const server = await startDevServer({
    cwd: project.dir,
    port: 0,
    host: '127.0.0.1',
    dashboard: false,
    logFormat: 'json',
    stateDir: project.path('.gw'),
  });
  servers.push(server);
  return server;
}

describe('gw routes import', { timeout: 90_000 }, () => {
  it('prints one route per Petstore path, with its methods, under --prefix with stripPrefix', async () => {
    const result = await runGw(['routes', 'import', petstore, '--service', 'petstore', '--prefix', '/api'], {
      cwd: project.dir,
    });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\/\/ .*openapi\.json: 13 routes for service petstore$/);
    expect(lines.slice(1)).toEqual(printed);
  });

  it('--write adds the missing routes to gateway.config.ts once, and gw dev serves them', async () => {
    await project.write('specs/petstore.json', await readFile(petstore, 'utf8'));
    await project.write(
      'gateway.config.ts',
      `import { defineConfig } from 'gw';

export default defineConfig({
  services: {
    petstore: { targets: ['${upstream.url}'], openapi: './specs/petstore.json' }, // the pet store
  },
  routes: [
    // written by hand before the import
    { path: '/api/pet', service: 'petstore', stripPrefix: '/api' }
  ],
});
`,
    );
    const args = [
      'routes',
      'import',
      'specs/petstore.json',
      '--service',
      'petstore',
      '--prefix',
      '/api',
      '--write',
    ];
    const first = await runGw(args, { cwd: project.dir });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`✔ added 12 routes to ${project.path('gateway.config.ts')}:`);
    expect(first.stdout).toContain('  + GET,POST,DELETE /api/pet/:petId\n');
    expect(first.stdout).toContain('already there (left as they are): /api/pet');

    const written = await readFile(project.path('gateway.config.ts'), 'utf8');
    // The hand-written route and its comment stay as they were; the new ones follow it.
    expect(written).toContain(
      "    // written by hand before the import\n    { path: '/api/pet', service: 'petstore', stripPrefix: '/api' },\n" +
        printed
          .slice(1)
          .map((line) => `    ${line}`)
          .join('\n') +
        '\n  ],',
    );
    expect(written).toContain("openapi: './specs/petstore.json' }, // the pet store\n  },");

    const again = await runGw(args, { cwd: project.dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already has every route of the spec; nothing added');
    expect(await readFile(project.path('gateway.config.ts'), 'utf8')).toBe(written);

    const gw = await startGw();
    const base = gw.gateway.url;
    const found = await request(base, '/api/pet/findByStatus?status=sold');
    expect(found.status).toBe(200);
    expect(upstream.requests.at(-1)).toMatchObject({ method: 'GET', url: '/pet/findByStatus?status=sold' });
    const deleted = await request(base, '/api/store/order/5', { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(upstream.requests.at(-1)).toMatchObject({ method: 'DELETE', url: '/store/order/5' });
    const login = await request(base, '/api/user/login?username=theUser');
    expect(login.status).toBe(200);
    expect(upstream.requests.at(-1)).toMatchObject({ url: '/user/login?username=theUser' });
    // PATCH is no method of /user/{username} in the spec, so the imported route refuses it.
    const count = upstream.requests.length;
    const patched = await request(base, '/api/user/theUser', { method: 'PATCH' });
    expect(patched.status).toBe(405);
    expect(upstream.requests.length).toBe(count);
  });

  it('--write into gateway.config.json adds a missing service as a mock of the spec', async () => {
    const json = await createProject({
      'specs/petstore.json': await readFile(petstore, 'utf8'),
      'gateway.config.json': JSON.stringify({ services: {}, routes: [] }, null, 2),
    });
    try {
      const result = await runGw(
        [
          'routes',
          'import',
          'specs/petstore.json',
          '--service',
          'pets',
          '--prefix',
          'v3',
          '--write',
          '--json',
        ],
        { cwd: json.dir },
      );
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as { added: unknown[]; serviceAdded: unknown };
      expect(report.added).toHaveLength(13);
      expect(report.serviceAdded).toEqual({ name: 'pets', openapi: './specs/petstore.json' });
      const config = JSON.parse(await readFile(json.path('gateway.config.json'), 'utf8')) as {
        services: Record<string, unknown>;
        routes: Array<Record<string, unknown>>;
      };
      expect(config.services.pets).toEqual({ openapi: './specs/petstore.json', mock: 'openapi' });
      expect(config.routes[3]).toEqual({
        path: '/v3/pet/:petId',
        methods: ['GET', 'POST', 'DELETE'],
        service: 'pets',
        stripPrefix: '/v3',
      });

      const gw = await startDevServer({
        cwd: json.dir,
        port: 0,
        host: '127.0.0.1',
        dashboard: false,
        logFormat: 'json',
        stateDir: json.path('.gw'),
      });
      try {
        const pet = await request(gw.gateway.url, '/v3/pet/10');
        expect(pet.status).toBe(200);
        expect(pet.json).toMatchObject({ id: 10, name: 'doggie' });
      } finally {
        await gw.close();
      }
    } finally {
      await json.cleanup();
    }
  });

  it('--write leaves a config it cannot edit as it was, with GW_CONFIG_EDIT_FAILED', async () => {
    const built = await createProject({
      'gateway.config.ts': `const routes = [{ path: '/x', service: 'petstore' }];
export default { services: { petstore: { targets: ['${upstream.url}'] } }, routes };
`,
    });
    try {
      const before = await readFile(built.path('gateway.config.ts'), 'utf8');
      const result = await runGw(['routes', 'import', petstore, '--service', 'petstore', '--write'], {
        cwd: built.dir,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('GW_CONFIG_EDIT_FAILED');
      expect(await readFile(built.path('gateway.config.ts'), 'utf8')).toBe(before);
    } finally {
      await built.cleanup();
    }
  });
});
