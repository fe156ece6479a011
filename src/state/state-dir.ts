import { stat } from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from '../errors.js';
import type { EventStream } from '../events/event-stream.js';

export interface StateDirOptions {
  /** --state-dir */
  stateDir?: string | undefined;
  /** Folder of the config file (or the working folder when there is none). */
  configDir?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/** Where keys, secrets and other state live: --state-dir, else GW_STATE_DIR, else `.gw/` beside the config. */
export function resolveStateDir(options: StateDirOptions): string {
  const env = options.env ?? process.env;
  const base = options.configDir ?? process.cwd();
  const chosen = options.stateDir ?? (env.GW_STATE_DIR || undefined);
  // A --state-dir or GW_STATE_DIR given as a relative path means relative to where the command runs.
  return chosen === undefined ? path.join(base, '.gw') : path.resolve(chosen);
}

/**
 * Whether the existing state folder is writable by every user of the machine (0777, or 1777 like
 * /tmp). Anyone could then plant keys.json (their own API key) or signing-keys.json (tokens
 * they can mint), or swap a file between gw's write and rename. A folder that does not exist yet
 * is fine: gw creates it 0700.
 */
export async function isSharedStateDir(dir: string): Promise<boolean> {
  try {
    return ((await stat(dir)).mode & 0o002) !== 0;
  } catch {
    return false;
  }
}

/** Refuses to write keys or secrets into a world-writable state folder (GW_STATE_DIR_INSECURE). */
export async function refuseSharedStateDir(dir: string): Promise<void> {
  if (await isSharedStateDir(dir)) {
    throw new GatewayError('GW_STATE_DIR_INSECURE', `The state folder ${dir} is writable by other users`, {
      file: dir,
      hint: `Run \`chmod 700 ${dir}\` or pass another --state-dir; gw writes no keys or secrets there until then.`,
    });
  }
}

/** Warns (once, at start) that the state folder is world-writable: what it holds cannot be trusted. */
export async function warnIfSharedStateDir(dir: string, events: EventStream | undefined): Promise<void> {
  if (!events || !(await isSharedStateDir(dir))) return;
  events.emit({
    type: 'warning',
    at: Date.now(),
    message: `GW_STATE_DIR_INSECURE: the state folder ${dir} is writable by other users; gw will not write keys or secrets there`,
    hint: `chmod 700 ${dir}, or pass another --state-dir`,
  });
}
