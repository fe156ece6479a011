import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { createTempProject, type TempProject } from './temp-project.js';

// A real collection, to see what a reload leaves behind.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

let project: TempProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

interface Markers {
  gwConfigMarkers?: WeakRef<object>[];
}

it('lets the previous config, its code and its module-level values be collected after a reload', async () => {
  const markers: WeakRef<object>[] = [];
  (globalThis as Markers).gwConfigMarkers = markers;
  project = await createTempProject({ 'gateway.config.ts': 'export default {};\n' });
  for (let edit = 1; edit <= 5; edit++) {
    // A value the exported function holds: an imported ES module keeps its exports, and so this
    // value, for the life of the process.
    await project.write(
      'gateway.config.ts',
      `const marker = { edit: ${edit} };
(globalThis as { gwConfigMarkers?: WeakRef<object>[] }).gwConfigMarkers?.push(new WeakRef(marker));
export default () => ({ port: 1000 + marker.edit });
`,
    );
    expect((await loadConfig({ cwd: project.dir })).config.port).toBe(1000 + edit);
  }
  delete (globalThis as Markers).gwConfigMarkers;
  expect(markers).toHaveLength(5);
  // WeakRef targets stay alive until the current job ends: collect from a later turn.
  await new Promise((resolve) => setTimeout(resolve, 10));
  collect();
  collect();
  expect(markers.filter((marker) => marker.deref() !== undefined)).toHaveLength(0);
});
