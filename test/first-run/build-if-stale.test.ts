import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staleReason } from '../../scripts/build-if-stale.mjs';

const dirs: string[] = [];
afterEach(async () => {
  while (dirs.length) await rm(dirs.pop()!, { recursive: true, force: true });
});

/** A package folder whose files carry the given modification times (seconds since the epoch). */
async function packageWith(files: Record<string, number>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-prepare-'));
  dirs.push(dir);
  for (const [relative, seconds] of Object.entries(files)) {
    const file = path.join(dir, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '');
    await utimes(file, seconds, seconds);
  }
  return dir;
}

describe('prepare builds only when dist/ is behind src/', () => {
  it('skips the build when every source has a newer build output', async () => {
    const dir = await packageWith({
      'tsconfig.json': 100,
      'src/index.ts': 100,
      'src/dashboard/App.tsx': 100,
      'dist/index.js': 200,
      'dist/dashboard/App.js': 200,
    });
    expect(staleReason(dir)).toBeUndefined();
  });

  it.each([
    ['a source changed after the build', { 'src/index.ts': 300 }, 'src/index.ts changed'],
    ['a source has no build output', { 'src/new-file.ts': 100 }, 'dist/new-file.js is missing'],
    ['a tsconfig changed after the build', { 'tsconfig.build.json': 300 }, 'a tsconfig changed'],
  ])('builds when %s', async (_name, change, reason) => {
    const dir = await packageWith({
      'tsconfig.json': 100,
      'src/index.ts': 100,
      'dist/index.js': 200,
      ...change,
    });
    expect(staleReason(dir)).toBe(reason);
  });

  it('builds a fresh clone, which has no dist/', async () => {
    expect(staleReason(await packageWith({ 'src/index.ts': 100 }))).toBe('dist/index.js is missing');
  });

  it('has nothing to build in a packed gw, which ships dist/ without src/', async () => {
    expect(staleReason(await packageWith({ 'dist/index.js': 100 }))).toBeUndefined();
  });
});
