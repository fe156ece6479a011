import path from 'node:path';

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
