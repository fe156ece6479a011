import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runGw } from '../helpers/gw-process.js';
import { createProject, repoRoot } from '../helpers/project.js';

/** With TLS on, `gw routes list` gives each route's https:// URL (its host, else the bind address). */
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});
beforeAll(() => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
});

const config = (tls: string) =>
  [
    "import { defineConfig } from 'gw';",
    'export default defineConfig({',
    `  port: 8443,${tls}`,
    "  services: { app: { targets: ['http://127.0.0.1:5173'] } },",
    '  routes: [',
    "    { host: 'app.localhost', path: '/', service: 'app' },",
    "    { path: '/api', service: 'app' },",
    '  ],',
    '});',
    '',
  ].join('\n');

describe('route URLs', { timeout: 60_000 }, () => {
  it.each([
    ['https:// with tls on', ' tls: true,', 'https'],
    ['http:// without it', '', 'http'],
  ])('routes list --json prints %s', async (_name, tls, scheme) => {
    const project = await createProject({ 'gateway.config.ts': config(tls) });
    cleanup.push(() => project.cleanup());
    const result = await runGw(['routes', 'list', '--json'], { cwd: project.dir });
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<{ url: string }>;
    expect(rows.map((row) => row.url)).toEqual([
      `${scheme}://app.localhost:8443/`,
      `${scheme}://127.0.0.1:8443/api`,
    ]);
  });
});
