import { mkdir, mkdtemp, realpath, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatewayError } from '../../src/errors.js';

/** The repository root: configs import 'gw', which resolves here through node_modules/gw. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface TempProject {
  dir: string;
  path(relative: string): string;
  write(relative: string, content: string): Promise<string>;
  remove(relative: string): Promise<void>;
  cleanup(): Promise<void>;
}

/** A throwaway project folder under the OS temp dir, with `node_modules/gw` linked to this repo. */
export async function createTempProject(files: Record<string, string> = {}): Promise<TempProject> {
  // realpath: macOS and some CI boxes put tmpdir behind a symlink, and loaded paths are real ones.
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'gw-config-')));
  await mkdir(path.join(dir, 'node_modules'));
  await symlink(repoRoot, path.join(dir, 'node_modules', 'gw'), 'dir');
  const project: TempProject = {
    dir,
    path: (relative) => path.join(dir, relative),
    async write(relative, content) {
      const file = path.join(dir, relative);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
      return file;
    },
    remove: (relative) => unlink(path.join(dir, relative)),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
  for (const [relative, content] of Object.entries(files)) await project.write(relative, content);
  return project;
}

export { sleep, waitFor } from '../helpers/wait.js';

/** The GatewayError a load rejects with (any other outcome fails the test). */
export async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected the load to fail');
}
