import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A fresh state folder per test; `remove` deletes it. */
export async function createTempStateDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-identity-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
