import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGw } from '../helpers/gw-process.js';
import { createProject, repoRoot, type Project } from '../helpers/project.js';

/**
 * `gw routes list` marks validated and mocked routes, and `gw routes test` names the OpenAPI
 * operation a request reaches (issue 16, item 5), here in the Swagger Petstore 3 spec.
 */

let project: Project;
beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  project = await createProject({
    'specs/pets.json': await readFile(path.join(repoRoot, 'test/fixtures/petstore/openapi.json'), 'utf8'),
    'specs/untitled.yaml':
      'openapi: 3.1.0\ninfo: { title: U, version: "1" }\npaths:\n  /things/{id}:\n    get:\n      responses: { "200": { description: ok } }\n',
    'gateway.config.ts': `export default {
  services: {
    pets: { targets: ['http://127.0.0.1:9'], openapi: './specs/pets.json', fallback: 'openapi' },
    mocked: { openapi: './specs/pets.json', mock: 'openapi' },
    things: { targets: ['http://127.0.0.1:9'], openapi: './specs/untitled.yaml' },
    plain: { targets: ['http://127.0.0.1:9'] },
  },
  routes: [
    { path: '/api/*', service: 'pets', stripPrefix: '/api', validate: { request: true, response: 'warn' } },
    { path: '/mock/*', service: 'mocked', stripPrefix: '/mock' },
    { path: '/things/:id', service: 'things', validate: { response: 'enforce' } },
    { path: '/plain', service: 'plain' },
  ],
};
`,
  });
});
afterAll(() => project.cleanup());

const gw = async (...args: string[]) => {
  const result = await runGw(args, { cwd: project.dir });
  expect(result.stderr).toBe('');
  return result;
};

describe('gw routes list / test with OpenAPI', { timeout: 150_000 }, () => {
  it('list marks what each route validates and whether the spec answers for it', async () => {
    const table = (await gw('routes', 'list')).stdout;
    const row = (routePath: string) =>
      table.split('\n').find((line) => line.includes(` ${routePath} `)) ?? '';
    expect(row('/api/*')).toContain('stripPrefix /api, validate request+response:warn, fallback:openapi');
    expect(row('/mock/*')).toContain('stripPrefix /mock, mock:openapi');
    expect(row('/things/:id')).toContain('validate response:enforce');
    expect(row('/plain')).not.toMatch(/validate|openapi/);

    const json = JSON.parse((await gw('routes', 'list', '--json')).stdout) as Array<{
      path: string;
      openapi: unknown;
    }>;
    expect(json.map((r) => [r.path, r.openapi])).toEqual([
      ['/api/*', { spec: './specs/pets.json', validated: ['request', 'response:warn'], mocked: 'fallback' }],
      ['/mock/*', { spec: './specs/pets.json', validated: [], mocked: 'mock' }],
      ['/things/:id', { spec: './specs/untitled.yaml', validated: ['response:enforce'], mocked: null }],
      ['/plain', null],
    ]);
  });

  it('test names the operation by operationId, else by method and path, or why there is none', async () => {
    const pet = await gw('routes', 'test', 'GET', '/api/pet/7?x=1');
    expect(pet.stdout).toContain('  openapi:  getPetById (GET /pet/{petId}) in specs/pets.json\n');
    expect(pet.stdout).toContain('  policies: validate request+response:warn → fallback:openapi\n');

    const order = await gw('routes', 'test', 'DELETE', '/mock/store/order/3', '--json');
    expect(JSON.parse(order.stdout)).toMatchObject({
      openapi: { found: true, operationId: 'deleteOrder', operation: 'DELETE /store/order/{orderId}' },
    });

    const thing = await gw('routes', 'test', 'GET', '/things/9');
    expect(thing.stdout).toContain('  openapi:  GET /things/{id} in specs/untitled.yaml\n');

    const patch = await gw('routes', 'test', 'PATCH', '/api/pet/7');
    expect(patch.stdout).toContain(
      "  openapi:  none: the spec's path has no PATCH operation, only GET, POST, DELETE (405)\n",
    );
    const missing = await gw('routes', 'test', 'GET', '/api/owners/1');
    expect(missing.stdout).toContain('  openapi:  none: the spec has no path for /owners/1 (404)\n');

    const plain = await gw('routes', 'test', 'GET', '/plain');
    expect(plain.stdout).not.toContain('openapi:');
  });
});
