import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { routesOfSpec } from '../../src/cli/routes-import-routes.js';
import { addRoutesToConfig } from '../../src/cli/routes-import-write.js';
import { loadConfig } from '../../src/config/load-config.js';
import { loadSpec } from '../../src/openapi/load-spec.js';
import { createProject, repoRoot, type Project } from '../helpers/project.js';

/** `gw routes import --write` on a YAML config: comments stay, routes are added once. */

const projects: Project[] = [];
afterEach(async () => {
  while (projects.length) await projects.pop()!.cleanup();
});

describe('routes import --write: YAML config', () => {
  it('adds the missing routes and the service, keeps comments, and adds nothing the second time', async () => {
    const project = await createProject({
      'specs/petstore.json': await readFile(
        path.join(repoRoot, 'test/fixtures/petstore/openapi.json'),
        'utf8',
      ),
      'gateway.config.yaml': `# the team's gateway
services:
  web: { targets: ['http://127.0.0.1:9'] } # the front end
routes:
  - { path: /web, service: web }
  - { path: /shop/user/login, service: web }
  - { path: '/shop/user/:name', service: web }
`,
    });
    projects.push(project);
    const file = project.path('gateway.config.yaml');
    const spec = loadSpec(project.dir, 'specs/petstore.json');
    const routes = routesOfSpec(spec, { service: 'shop', prefix: '/shop/' });

    const first = await addRoutesToConfig(await loadConfig({ file }), routes, {
      service: 'shop',
      file: spec.file,
    });
    expect(first.added).toHaveLength(11);
    // `/user/{username}` is the route the config has as /shop/user/:name: the same requests.
    expect(first.present.map((r) => r.path)).toEqual(['/shop/user/login', '/shop/user/:username']);
    expect(first.serviceAdded).toEqual({ name: 'shop', openapi: './specs/petstore.json' });
    const text = await readFile(file, 'utf8');
    expect(text).toContain("# the team's gateway");
    expect(text).toContain('# the front end');

    const { config } = await loadConfig({ file });
    expect(config.services.shop).toMatchObject({ openapi: './specs/petstore.json', mock: 'openapi' });
    expect(config.routes).toHaveLength(14);
    expect(config.routes.find((r) => r.path === '/shop/store/order/:orderId')).toMatchObject({
      methods: ['GET', 'DELETE'],
      service: 'shop',
      stripPrefix: '/shop',
    });

    const again = await addRoutesToConfig(await loadConfig({ file }), routes, {
      service: 'shop',
      file: spec.file,
    });
    expect(again.added).toEqual([]);
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('reads the YAML form of the Petstore spec to the same routes as its JSON form', () => {
    const fixtures = path.join(repoRoot, 'test/fixtures/petstore');
    const of = (file: string) => routesOfSpec(loadSpec(fixtures, file), { service: 'p', prefix: '/api' });
    expect(of('openapi.yaml')).toEqual(of('openapi.json'));
    expect(of('openapi.yaml')).toHaveLength(13);
  });
});
