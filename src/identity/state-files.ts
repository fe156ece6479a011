import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { GatewayError } from '../errors.js';
import { refuseSharedStateDir } from '../state/state-dir.js';

/**
 * The state folder's files: owner-only, written atomically (temp file + fsync + rename, so a crash
 * mid-write leaves the old file whole), read with a clear error naming the file when corrupt.
 */

const LOCK_WAIT_MS = 5_000;
// A lock older than this belongs to a process that died while holding it.
const LOCK_STALE_MS = 10_000;

/** Creates the folder (0700) with a .gitignore, so keys and secrets are never committed by mistake. */
export async function ensureStateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(dir, '.gitignore'), '*\n', { flag: 'wx', mode: 0o600 }).catch(
    (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    },
  );
}

/** The file's parsed content, undefined when it does not exist, GW_STATE_CORRUPT when unreadable. */
export async function readStateFile<T>(file: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw corrupt(file, (error as Error).message, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw corrupt(file, 'it is not valid JSON', error);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw corrupt(file, `unexpected content${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function corrupt(file: string, why: string, cause?: unknown): GatewayError {
  return new GatewayError('GW_STATE_CORRUPT', `The state file ${file} cannot be read: ${why}`, {
    file,
    cause,
  });
}

/** Writes JSON so that readers only ever see the old or the new file, never half of one. */
export async function writeStateFile(file: string, value: unknown): Promise<void> {
  // Keys and secrets never go into a folder other users can write (GW_STATE_DIR_INSECURE).
  await refuseSharedStateDir(path.dirname(file));
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
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

/**
 * Runs `update` holding an exclusive lock file beside `file`, so two CLI processes (or the CLI
 * and the gateway) never lose each other's read-modify-write.
 */
export async function withFileLock<T>(file: string, update: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await isStaleLock(lock)) await unlink(lock).catch(() => undefined);
      else if (Date.now() > deadline) {
        throw new GatewayError('GW_STATE_LOCKED', `The state file ${file} is locked by another process`, {
          file,
        });
      } else await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  try {
    return await update();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

/** A lock whose process is gone (it crashed while holding it), or one far older than any write. */
async function isStaleLock(lock: string): Promise<boolean> {
  const [pid, age] = await Promise.all([
    readFile(lock, 'utf8').then(Number, () => NaN),
    stat(lock).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    ),
  ]);
  if (age > LOCK_STALE_MS) return true;
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
