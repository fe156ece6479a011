import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGw } from '../helpers/gw-process.js';
import { createProject, repoRoot, type Project } from '../helpers/project.js';

/**
 * `gw check` lists OpenAPI problems with the config's others (issue 16, item 5): an unparseable
 * spec with its line, broken `$ref`s with where they are, and routes whose service's spec has no
 * operation under the path they reach upstream.
 */

let project: Project;
beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  project = await createProject({
    'specs/pets.json': await readFile(path.join(repoRoot, 'test/fixtures/petstore/openapi.json'), 'utf8'),
    'specs/users.yaml':
      'openapi: 3.0.3\ninfo: { title: Users, version: "1" }\npaths:\n  /users: [\n    unclosed\n',
    'specs/orders.yaml': `openapi: 3.0.3
info: { title: Orders, version: "1" }
paths:
  /orders/{id}:
    get:
      responses:
        "200":
          description: one order
          content:
            application/json:
              schema: { $ref: "./schemas.yaml#/Order" }
        "404":
          description: none
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Missing"
components:
  schemas: {}
`,
    'specs/schemas.yaml':
      'Order:\n  type: object\n  properties:\n    lines: { type: array, items: { $ref: "#/Line" } }\n',
  });
});
afterAll(() => project.cleanup());

const config = (routes: string) => `export default {
  services: {
    users: { targets: ['http://127.0.0.1:9'], openapi: './specs/users.yaml' },
    orders: { targets: ['http://127.0.0.1:9'], openapi: './specs/orders.yaml' },
    pets: { targets: ['http://127.0.0.1:9'], openapi: './specs/pets.json' },
  },
  routes: [
${routes}
  ],
};
`;

describe('gw check: OpenAPI problems', { timeout: 60_000 }, () => {
  it('lists every spec problem and every route the spec has nothing under, in the all-problems format', async () => {
    await project.write(
      'gateway.config.ts',
      config(`    { path: '/api/pet', service: 'pets', stripPrefix: '/api' },
    { path: '/api/pets', service: 'pets', stripPrefix: '/api' },
    { path: '/v1/*', service: 'pets', rewrite: { from: '^/v1', to: '/store' } },
    { path: '/api/user', methods: ['PATCH'], service: 'pets', stripPrefix: '/api' },
    { path: '/api/pet/:id/uploadImage', methods: ['POST'], service: 'pets', stripPrefix: '/api' },`),
    );
    const result = await runGw(['check'], { cwd: project.dir });
    expect(result.code).toBe(1);
    const specs = project.path('specs');
    expect(result.stderr).toContain(`GW_CONFIG_INVALID: ${project.path('gateway.config.ts')} has 5 problems`);
    expect(result.stderr).toContain(
      `  • services.users.openapi: ${specs}/users.yaml:6:1: is not valid YAML or JSON: Flow sequence in block collection must be sufficiently indented and end with a ]\n`,
    );
    // A broken $ref inside a file another file refers to: that file, its line, its place in it.
    expect(result.stderr).toContain(
      `  • services.orders.openapi: ${specs}/schemas.yaml:4:42 (#/Order/properties/lines/items): $ref '#/Line' points at nothing`,
    );
    expect(result.stderr).toContain(
      `  • services.orders.openapi: ${specs}/orders.yaml:17:23 (#/paths/~1orders~1{id}/get/responses/404/content/application~1json/schema): $ref '#/components/schemas/Missing' points at nothing`,
    );
    expect(result.stderr).toContain(
      `  • routes[1].path: /api/pets reaches /pets upstream, and ${specs}/pets.json has no operation at or below it`,
    );
    expect(result.stderr).toContain(
      `  • routes[3].path: /api/user reaches /user upstream, and ${specs}/pets.json has no PATCH operation at or below it`,
    );
    // The rewritten route (/v1 → /store) and the param route line up with the spec: no problem.
    expect(result.stderr).not.toContain('routes[2]');
    expect(result.stderr).not.toContain('routes[4]');
  });

  it('passes a config whose specs load and whose routes all reach operations', async () => {
    await project.write(
      'gateway.config.ts',
      `export default {
  services: { pets: { targets: ['http://127.0.0.1:9'], openapi: './specs/pets.json' } },
  routes: [
    { path: '/api/*', service: 'pets', stripPrefix: '/api' },
    { path: '/shop/order', methods: ['POST'], service: 'pets', rewrite: { from: '^/shop', to: '/store' } },
  ],
};
`,
    );
    const result = await runGw(['check'], { cwd: project.dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
