import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGw } from '../helpers/gw-process.js';
import { createProject, repoRoot, type Project } from '../helpers/project.js';

/** `gw check` passes a JSON config that names gw's JSON Schema in `$schema` (issue 15). */
let project: Project;
beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  project = await createProject({
    'gateway.config.json': JSON.stringify({
      $schema: './node_modules/gw/gateway.config.schema.json',
      services: { users: { targets: ['http://127.0.0.1:8001'] } },
      routes: [{ path: '/users', service: 'users' }],
    }),
  });
});
afterAll(() => project.cleanup());

describe('gw check on a JSON config with $schema', { timeout: 60_000 }, () => {
  it('passes and exits 0', async () => {
    const result = await runGw(['check'], { cwd: project.dir });
    expect(result.stderr).not.toContain('GW_CONFIG_INVALID');
    expect(result.code).toBe(0);
  });
});
