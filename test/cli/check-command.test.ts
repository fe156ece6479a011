import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeningLine, runGw, spawnGw } from '../helpers/gw-process.js';
import { createProject, repoRoot, type Project } from '../helpers/project.js';

let project: Project;
beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  project = await createProject();
});
afterAll(() => project.cleanup());

function configWithRoute(extra: string): string {
  return `export default {
  services: { users: { targets: ['http://127.0.0.1:8001'] } },
  routes: [{ path: '/a', service: 'users', ${extra} }],
};\n`;
}

async function check(source: string) {
  await project.write('gateway.config.ts', source);
  return runGw(['check'], { cwd: project.dir });
}

describe('gw check explains a config mistake (issue 15)', { timeout: 60_000 }, () => {
  it('shows a syntax error at file:line:col with a code frame', async () => {
    const result = await check(
      "export default {\n  services: { users: { targets: ['http://127.0.0.1:8001'] } },\n  routes: [\n    { path: '/a', service: 'users' },\n  \n};\n",
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('GW_CONFIG_LOAD_FAILED');
    expect(result.stderr).toContain(`${project.path('gateway.config.ts')}:6:1:`);
    expect(result.stderr).toMatch(/^ {2}5 \| {2}$|^ {2}5 \|$/m);
    expect(result.stderr).toMatch(/^> 6 \| \};$/m);
    expect(result.stderr).toMatch(/^ {4}\| \^$/m);
  });

  it.each([
    [
      "rateLimit: { limit: '5', window: '1m' }",
      "routes[0].rateLimit.limit: wrong type — expected number (found '5')",
    ],
    [
      "rateLimit: { limit: 5, windw: '10s' }",
      "routes[0].rateLimit.windw: unknown key — did you mean 'window'?",
    ],
    [
      "auth: ['apikey', 'jwt']",
      "routes[0].auth[0]: not an allowed value — expected 'apiKey' | 'jwt' (found 'apikey') — did you mean 'apiKey'?",
    ],
    ["rateLimit: { limit: 5, window: '10 s' }", 'routes[0].rateLimit.window: invalid value'],
  ])('names the inner field of %s', async (extra, line) => {
    const result = await check(configWithRoute(extra));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('GW_CONFIG_INVALID');
    expect(result.stderr).toContain(`  • ${line}`);
  });
});

describe('gw dev plain output on a save with a syntax error (issue 15)', { timeout: 60_000 }, () => {
  it('prints file:line:col and the code frame', async () => {
    const dev = await createProject({
      'gateway.config.ts': 'export default { port: 0, services: {}, routes: [] };\n',
    });
    const gw = spawnGw(['dev'], { cwd: dev.dir });
    try {
      await gw.waitForOutput(listeningLine);
      await dev.write('gateway.config.ts', 'export default {\n  port: 0,\n  routes: [\n\n};\n');
      await gw.waitForOutput(/config rejected/);
      const [frame] = await gw.waitForOutput(/^> 5 \| \};$/m);
      expect(frame).toBeDefined();
      expect(gw.stdout()).toContain(`${dev.path('gateway.config.ts')}:5:1:`);
      expect(gw.stdout()).toMatch(/^ {4}\| \^$/m);
    } finally {
      await gw.stop();
      await dev.cleanup();
    }
  });
});
