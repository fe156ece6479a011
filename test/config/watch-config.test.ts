import { rename, rm, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { watchConfig, type ConfigChangeReason, type ConfigWatcher } from '../../src/config/watch-config.js';
import { createTempProject, failure, sleep, waitFor, type TempProject } from './temp-project.js';

let project: TempProject | undefined;
let watcher: ConfigWatcher | undefined;

afterEach(async () => {
  await watcher?.close();
  await project?.cleanup();
  watcher = undefined;
  project = undefined;
});

async function start(files: Record<string, string>, dependencies: string[] = [], debounceMs = 60) {
  project = await createTempProject({ 'gateway.config.ts': 'export default {};\n', ...files });
  const seen: ConfigChangeReason[] = [];
  const file = project.path('gateway.config.ts');
  watcher = watchConfig(
    { file, dependencies: [file, ...dependencies.map((d) => project!.path(d))] },
    (reason) => seen.push(reason),
    { debounceMs },
  );
  await watcher.ready;
  return { seen, file, project };
}

describe('watchConfig', () => {
  it('reports a plain save of the config', async () => {
    const { seen, file, project } = await start({});
    await project.write('gateway.config.ts', 'export default { port: 1 };\n');
    await waitFor(() => seen.length >= 1, 10_000, 'a change');
    expect(seen[0]).toEqual({ kind: 'changed', file });
  });

  it('reports an edit to an imported module', async () => {
    const { seen, project } = await start({ 'routes/users.ts': 'export const a = 1;\n' }, [
      'routes/users.ts',
    ]);
    await project.write('routes/users.ts', 'export const a = 2;\n');
    await waitFor(() => seen.length >= 1, 10_000, 'a change');
    expect(seen[0]).toEqual({ kind: 'changed', file: project.path('routes/users.ts') });
  });

  it('picks up a rename-save every time', async () => {
    const { seen, file, project } = await start({});
    for (let round = 1; round <= 3; round++) {
      const temp = project.path(`.gateway.config.ts.${round}.tmp`);
      await writeFile(temp, `export default { port: ${round} };\n`);
      await rename(temp, file);
      await waitFor(() => seen.length >= round, 10_000, `rename-save ${round}`);
      expect(seen[round - 1]).toEqual({ kind: 'changed', file });
    }
  });

  it('coalesces rapid saves', async () => {
    const { seen, file, project } = await start({}, [], 150);
    for (let i = 0; i < 5; i++) {
      await project.write('gateway.config.ts', `export default { port: ${i} };\n`);
      await sleep(10);
    }
    await waitFor(() => seen.length >= 1, 10_000, 'a change');
    await sleep(600);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.length).toBeLessThanOrEqual(2);
    expect(seen.every((reason) => reason.kind === 'changed' && reason.file === file)).toBe(true);
  });

  it('reports the deletion of the config', async () => {
    const { seen, file, project } = await start({});
    await project.remove('gateway.config.ts');
    await waitFor(() => seen.length >= 1, 10_000, 'a deletion');
    expect(seen.at(-1)).toEqual({ kind: 'deleted', file });
  });

  it('reports the config coming back after a deletion', async () => {
    const { seen, file, project } = await start({});
    await project.remove('gateway.config.ts');
    await waitFor(() => seen.length >= 1, 10_000, 'a deletion');
    await project.write('gateway.config.ts', 'export default {};\n');
    await waitFor(() => seen.length >= 2, 10_000, 'the file again');
    expect(seen.at(-1)).toEqual({ kind: 'changed', file });
  });

  it('ignores other files in the same folders', async () => {
    const { seen, project } = await start({ 'routes/users.ts': 'export const a = 1;\n' }, [
      'routes/users.ts',
    ]);
    await project.write('notes.md', 'hello');
    await project.write('routes/other.ts', 'export const b = 1;\n');
    await project.write('gateway.config.ts.timestamp-1-abc.mjs', 'export default {};\n');
    await sleep(300);
    await project.write('routes/users.ts', 'export const a = 2;\n');
    await waitFor(() => seen.length >= 1, 10_000, 'a change');
    await sleep(300);
    expect(seen).toEqual([{ kind: 'changed', file: project.path('routes/users.ts') }]);
  });

  it('follows the new dependency set after update()', async () => {
    const { seen, file, project } = await start({ 'old.ts': 'export {};\n', 'lib/new.ts': 'export {};\n' }, [
      'old.ts',
    ]);
    watcher!.update([file, project.path('lib/new.ts')]);
    await sleep(300); // the new folder's watch starts asynchronously
    await project.write('old.ts', 'export const x = 1;\n');
    await project.write('lib/new.ts', 'export const y = 1;\n');
    await waitFor(() => seen.length >= 1, 10_000, 'a change');
    await sleep(300);
    expect(seen).toEqual([{ kind: 'changed', file: project.path('lib/new.ts') }]);
  });

  it('stays silent after close()', async () => {
    const { seen, project } = await start({});
    await watcher!.close();
    await project.write('gateway.config.ts', 'export default { port: 1 };\n');
    await sleep(400);
    expect(seen).toEqual([]);
  });

  it('drives a reload loop: load, watch, edit a module the config just started importing', async () => {
    project = await createTempProject({
      'gateway.config.ts': 'export default { port: 1 };\n',
      'routes/port.ts': 'export const port = 2;\n',
    });
    const first = await loadConfig({ cwd: project.dir });
    const ports: number[] = [first.config.port];
    watcher = watchConfig(first, () => {
      void loadConfig({ cwd: project!.dir }).then((next) => {
        ports.push(next.config.port);
        watcher!.update(next.dependencies);
      });
    });
    await watcher.ready;
    await project.write(
      'gateway.config.ts',
      "import { port } from './routes/port';\nexport default { port };\n",
    );
    await waitFor(() => ports.length >= 2, 10_000, 'the first reload');
    await sleep(300); // the routes/ folder's watch starts asynchronously
    await project.write('routes/port.ts', 'export const port = 3;\n');
    await waitFor(() => ports.length >= 3, 10_000, 'the second reload');
    expect(ports).toEqual([1, 2, 3]);
  });
});

describe('watchConfig when its folder goes away (issue 15)', () => {
  it.each([
    ['with change events', undefined],
    ['polling', 50],
  ])('reloads after the config folder is deleted and recreated (%s)', async (_, pollMs) => {
    project = await createTempProject({ 'conf/gateway.config.ts': 'export default {};\n' });
    const file = project.path('conf/gateway.config.ts');
    const seen: ConfigChangeReason[] = [];
    watcher = watchConfig({ file, dependencies: [file] }, (reason) => seen.push(reason), {
      debounceMs: 60,
      ...(pollMs === undefined ? {} : { pollMs }),
    });
    await watcher.ready;
    // A branch switch removes the folder, then puts it back with the file changed.
    await rm(project.path('conf'), { recursive: true, force: true });
    await waitFor(() => seen.length >= 1, 10_000, 'the deletion');
    expect(seen.at(-1)).toEqual({ kind: 'deleted', file });
    await sleep(100);
    await project.write('conf/gateway.config.ts', 'export default { port: 2 };\n');
    await waitFor(() => seen.length >= 2, 10_000, 'the folder again');
    expect(seen.at(-1)).toEqual({ kind: 'changed', file });
    // And it keeps watching the new folder.
    await sleep(100);
    await project.write('conf/gateway.config.ts', 'export default { port: 3 };\n');
    await waitFor(() => seen.length >= 3, 10_000, 'a save in the new folder');
    expect(seen.at(-1)).toEqual({ kind: 'changed', file });
  });
});

describe('polling (issue 15)', () => {
  it("polls at the config's `watch.poll` interval and reports saves", async () => {
    project = await createTempProject({
      'gateway.config.ts': "export default { watch: { poll: '500ms' } };\n",
    });
    const loaded = await loadConfig({ cwd: project.dir });
    const seen: ConfigChangeReason[] = [];
    watcher = watchConfig(loaded, (reason) => seen.push(reason), { debounceMs: 60, env: {} });
    expect(watcher.pollMs).toBe(500);
    await project.write('gateway.config.ts', "export default { port: 1, watch: { poll: '500ms' } };\n");
    await waitFor(() => seen.length >= 1, 10_000, 'a polled change');
    expect(seen[0]).toEqual({ kind: 'changed', file: loaded.file });
  });

  it.each<[string, NodeJS.ProcessEnv, number | undefined]>([
    ['GW_WATCH_POLL=1', { GW_WATCH_POLL: '1' }, 300],
    ['GW_WATCH_POLL=1s', { GW_WATCH_POLL: '1s' }, 1000],
    ['no setting', {}, undefined],
  ])('%s', async (_, env, expected) => {
    project = await createTempProject({ 'gateway.config.ts': 'export default {};\n' });
    const loaded = await loadConfig({ cwd: project.dir });
    watcher = watchConfig(loaded, () => {}, { env });
    expect(watcher.pollMs).toBe(expected);
  });

  it('rejects a poll setting that is not true or a duration', async () => {
    project = await createTempProject({
      'gateway.config.ts': "export default { watch: { poll: 'often' } };\n",
    });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(error.problems).toContainEqual(expect.objectContaining({ path: 'watch.poll' }));
  });
});
