import { afterEach, describe, expect, it } from 'vitest';
import { listeningLine, spawnGw, type GwProcess } from '../helpers/gw-process.js';
import { configSource, createProject, type Project } from '../helpers/project.js';
import { request } from '../helpers/http.js';
import { startUpstream, waitFor, type TestUpstream } from '../helpers/upstream.js';

/**
 * Issue 12 item 9 and the `process.exit` case of item 10: configs that are code, saved while
 * `gw dev` (a real process, needs `npm run build`) serves. The gateway must stay up, say why the
 * save was refused, and apply the next good save.
 */

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function serving(): Promise<{ project: Project; gw: GwProcess; url: string; up: TestUpstream }> {
  const up = await startUpstream();
  cleanup.push(() => up.close());
  const project = await createProject({
    'gateway.config.ts': configSource({ api: [up.url] }, [{ path: '/first', service: 'api' }]),
  });
  cleanup.push(() => project.cleanup());
  const gw = spawnGw(['dev', '--no-dashboard', '--port', '0'], {
    cwd: project.dir,
    env: { GW_CONFIG_LOAD_TIMEOUT_MS: '1500' },
  });
  cleanup.push(() => gw.stop());
  const [, url] = await gw.waitForOutput(listeningLine);
  return { project, gw, url: url!, up };
}

/** A valid config whose only route is `path`. */
const goodConfig = (up: TestUpstream, path: string) =>
  configSource({ api: [up.url] }, [{ path, service: 'api' }]);

async function answersOn(url: string, path: string): Promise<void> {
  await waitFor(async () => (await request(url, path)).status === 200, 20_000, 'a 200', 100);
}

describe('a config that never settles', () => {
  it('is rejected with GW_CONFIG_LOAD_TIMEOUT, and the next valid save is applied', async () => {
    const { project, gw, url, up } = await serving();
    await project.renameSave(
      'gateway.config.ts',
      [
        "import { defineConfig } from 'gw';",
        'export default defineConfig(async () => {',
        '  await new Promise(() => {});',
        '  return { services: {}, routes: [] };',
        '});',
        '',
      ].join('\n'),
    );
    await gw.waitForOutput(/GW_CONFIG_LOAD_TIMEOUT/);
    expect((await request(url, '/first/x')).status).toBe(200);
    await project.renameSave('gateway.config.ts', goodConfig(up, '/second'));
    await answersOn(url, '/second/x');
    expect((await request(url, '/first/x')).status).toBe(404);
  });
});

describe('a config that calls process.exit', () => {
  it('does not end gw on save: GW_CONFIG_EXIT, the last good config serves, a fix reloads', async () => {
    const { project, gw, url, up } = await serving();
    await project.renameSave(
      'gateway.config.ts',
      ["import { defineConfig } from 'gw';", 'process.exit(0);', 'export default defineConfig({});', ''].join(
        '\n',
      ),
    );
    await gw.waitForOutput(/GW_CONFIG_EXIT/);
    expect((await request(url, '/first/x')).status).toBe(200);
    // The same from inside an exported async function, after an await.
    await project.renameSave(
      'gateway.config.ts',
      [
        "import { defineConfig } from 'gw';",
        'export default defineConfig(async () => {',
        '  await new Promise((resolve) => setTimeout(resolve, 10));',
        '  process.exit(3);',
        '  return {};',
        '});',
        '',
      ].join('\n'),
    );
    await waitFor(
      () => (gw.stdout().match(/GW_CONFIG_EXIT/g) ?? []).length >= 2,
      20_000,
      'two GW_CONFIG_EXIT lines',
      100,
    );
    expect(gw.stdout()).toContain('process.exit(3)');
    expect((await request(url, '/first/x')).status).toBe(200);
    await project.renameSave('gateway.config.ts', goodConfig(up, '/second'));
    await answersOn(url, '/second/x');
  });
});
