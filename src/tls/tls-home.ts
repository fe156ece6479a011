import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Where gw keeps its local CA and the certificates it issued: GW_HOME (default ~/.gw), never a
 * project folder (a CA key inside a repository is one `git add` away from being published).
 */
export interface TlsPaths {
  readonly home: string;
  readonly dir: string;
  readonly caDir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly leavesDir: string;
}

export function tlsPaths(env: NodeJS.ProcessEnv = process.env): TlsPaths {
  const home = env.GW_HOME ? path.resolve(env.GW_HOME) : path.join(env.HOME || os.homedir(), '.gw');
  const dir = path.join(home, 'tls');
  const caDir = path.join(dir, 'ca');
  return {
    home,
    dir,
    caDir,
    caCert: path.join(caDir, 'ca.pem'),
    caKey: path.join(caDir, 'ca-key.pem'),
    leavesDir: path.join(dir, 'leaves'),
  };
}

/** The leaf file of one host name (names are checked host names: no '/' and no '..'). */
export function leafFile(paths: TlsPaths, name: string): string {
  return path.join(paths.leavesDir, `${name}.pem`);
}

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/** Writes so that readers see the old file or the new one, never half of one; `mode` from the start. */
export async function writeFileAtomic(file: string, content: string, mode: number): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
