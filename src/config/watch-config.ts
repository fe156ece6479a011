import { unwatchFile, watch, watchFile, type FSWatcher, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseDuration } from './fields.js';

export interface ConfigChangeReason {
  kind: 'changed' | 'deleted';
  /** The file whose change triggered the reload (the last one, when saves coalesced). */
  file: string;
}

export interface WatchConfigOptions {
  /** Quiet time before a burst of saves becomes one callback. */
  debounceMs?: number;
  /**
   * Poll each file every this many ms instead of waiting for change events. Defaults to the
   * config's `watch.poll`, else `GW_WATCH_POLL` from `env`.
   */
  pollMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** `watch: { poll: true }` and `GW_WATCH_POLL=1` poll this often (chokidar's default is 100 ms). */
export const DEFAULT_POLL_MS = 300;
/** How often a vanished folder is looked for again (a `git checkout` puts it back). */
const FOLDER_RETRY_MS = 200;

/** `true`, a duration or `'1'` → an interval in ms; undefined when polling is off. */
export function pollIntervalOf(
  poll: boolean | number | string | undefined,
  env: NodeJS.ProcessEnv = {},
): number | undefined {
  const setting = poll ?? env.GW_WATCH_POLL;
  if (setting === undefined || setting === false || setting === '' || setting === '0' || setting === 'false')
    return undefined;
  if (setting === true || setting === '1' || setting === 'true') return DEFAULT_POLL_MS;
  if (typeof setting === 'number') return Math.max(1, setting);
  return parseDuration(setting) ?? DEFAULT_POLL_MS;
}

export interface ConfigWatcher {
  /** Resolves once the watcher sees the files (changes before that may be missed). */
  ready: Promise<void>;
  /** The polling interval in ms, or undefined when the watcher waits for change events. */
  readonly pollMs: number | undefined;
  /** Replaces the watched files after a reload (the config may now import other files). */
  update(dependencies: string[]): void;
  close(): Promise<void>;
}

function watchedFiles(configFile: string, dependencies: readonly string[]): Set<string> {
  return new Set([configFile, ...dependencies.map((file) => path.resolve(file))]);
}

function foldersOf(files: Set<string>): Set<string> {
  return new Set([...files].map((file) => path.dirname(file)));
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

/**
 * Watches the config and every local file it imports, with one `fs.watch` per folder: an
 * editor's rename-save (write a temp file, rename it over) replaces the inode, which a watch on
 * the file itself can lose; the folder sees every rename. An event names the file it is about,
 * and one for any other file in those folders (a log written beside the config, our own
 * temporary bundles) is dropped before any I/O. chokidar did this before, but it re-read the
 * folder on every event, ignored files included: `gw dev > gw.log` beside the config cost 50 %
 * more CPU per request under load (issue 7).
 *
 * Saves within `debounceMs` are one change. Whether a burst was a deletion is decided at its
 * end, by looking: a rename-save or a backup-rename save (move away, write anew) has put the file
 * back by then; a deleted config has not.
 */
export function watchConfig(
  loaded: {
    file: string;
    dependencies: readonly string[];
    config?: { readonly watch?: { readonly poll?: boolean | number } | undefined };
  },
  onChange: (reason: ConfigChangeReason) => void,
  options: WatchConfigOptions = {},
): ConfigWatcher {
  const debounceMs = options.debounceMs ?? 80;
  const pollMs = options.pollMs ?? pollIntervalOf(loaded.config?.watch?.poll, options.env ?? process.env);
  if (pollMs !== undefined) return pollConfig(loaded, onChange, debounceMs, pollMs);
  const configFile = path.resolve(loaded.file);
  let files = watchedFiles(configFile, loaded.dependencies);
  const folders = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let touched = new Set<string>();
  let closed = false;
  const retries = new Map<string, NodeJS.Timeout>();

  async function flush(): Promise<void> {
    timer = undefined;
    const burst = touched;
    touched = new Set();
    if (burst.size === 0 || closed) return;
    // A folder removed with its files (a branch switch) leaves a watcher that hears nothing more.
    for (const folder of new Set([...burst].map((file) => path.dirname(file))))
      if (folders.has(folder) && !(await exists(folder))) forgetFolder(folder);
    // Deleting the config wins over edits in the same burst; anything else means "load again".
    if (burst.has(configFile) && !(await exists(configFile))) {
      if (!closed) onChange({ kind: 'deleted', file: configFile });
      return;
    }
    const last = [...burst].at(-1)!;
    if (!closed) onChange({ kind: 'changed', file: last });
  }

  function record(file: string): void {
    if (closed || !files.has(file)) return;
    touched.delete(file);
    touched.add(file);
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void flush(), debounceMs);
  }

  function watchFolder(folder: string): void {
    if (folders.has(folder)) return;
    try {
      const watcher = watch(folder, { persistent: false }, (_event, name) => {
        // Some platforms may not say which file: every watched file of the folder is a suspect.
        if (name === null) {
          for (const file of files) if (path.dirname(file) === folder) record(file);
          return;
        }
        record(path.join(folder, name.toString()));
      });
      // A vanished folder or a permission error must not take the dev server down.
      watcher.on('error', () => forgetFolder(folder));
      folders.set(folder, watcher);
    } catch {
      // The folder is gone already: look for it again until it is back.
      forgetFolder(folder);
    }
  }

  /** Drops a folder's watcher and looks for the folder until it is back, then reloads. */
  function forgetFolder(folder: string): void {
    folders.get(folder)?.close();
    folders.delete(folder);
    if (closed || retries.has(folder)) return;
    const retry = setInterval(() => {
      void exists(folder).then((back) => {
        if (!back || closed || !retries.has(folder)) return;
        clearInterval(retry);
        retries.delete(folder);
        if (![...files].some((file) => path.dirname(file) === folder)) return;
        watchFolder(folder);
        // What was written while nobody watched counts as a change.
        for (const file of files) if (path.dirname(file) === folder) record(file);
      });
    }, FOLDER_RETRY_MS);
    retry.unref();
    retries.set(folder, retry);
  }

  for (const folder of foldersOf(files)) watchFolder(folder);

  function update(dependencies: readonly string[]): void {
    files = watchedFiles(configFile, dependencies);
    const wanted = foldersOf(files);
    for (const [folder, watcher] of folders) {
      if (wanted.has(folder)) continue;
      watcher.close();
      folders.delete(folder);
    }
    for (const [folder, retry] of retries) {
      if (wanted.has(folder)) continue;
      clearInterval(retry);
      retries.delete(folder);
    }
    for (const folder of wanted) watchFolder(folder);
  }

  return {
    // fs.watch is in place once it returns.
    ready: Promise.resolve(),
    pollMs: undefined,
    update,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const watcher of folders.values()) watcher.close();
      folders.clear();
      for (const retry of retries.values()) clearInterval(retry);
      retries.clear();
    },
  };
}

/**
 * The polling watcher, for file systems whose change events never arrive (Docker bind mounts,
 * WSL2 on /mnt/c, network drives): `fs.watchFile` stats each file every `pollMs`. A file that
 * vanishes and comes back, its folder with it, is seen like any other change.
 */
function pollConfig(
  loaded: { file: string; dependencies: readonly string[] },
  onChange: (reason: ConfigChangeReason) => void,
  debounceMs: number,
  pollMs: number,
): ConfigWatcher {
  const configFile = path.resolve(loaded.file);
  let files = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let touched = new Set<string>();
  let closed = false;

  async function flush(): Promise<void> {
    timer = undefined;
    const burst = touched;
    touched = new Set();
    if (burst.size === 0 || closed) return;
    if (burst.has(configFile) && !(await exists(configFile))) {
      if (!closed) onChange({ kind: 'deleted', file: configFile });
      return;
    }
    if (!closed) onChange({ kind: 'changed', file: [...burst].at(-1)! });
  }

  const listeners = new Map<string, (current: Stats, previous: Stats) => void>();
  function poll(file: string): void {
    const listener = (current: Stats, previous: Stats) => {
      if (closed) return;
      if (
        current.mtimeMs === previous.mtimeMs &&
        current.ino === previous.ino &&
        current.size === previous.size
      )
        return;
      touched.delete(file);
      touched.add(file);
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void flush(), debounceMs);
    };
    listeners.set(file, listener);
    watchFile(file, { interval: pollMs, persistent: false }, listener);
  }

  function update(dependencies: readonly string[]): void {
    const wanted = watchedFiles(configFile, dependencies);
    for (const file of files) {
      if (wanted.has(file)) continue;
      unwatchFile(file, listeners.get(file));
      listeners.delete(file);
    }
    for (const file of wanted) if (!files.has(file)) poll(file);
    files = wanted;
  }

  update(loaded.dependencies);
  return {
    ready: Promise.resolve(),
    pollMs,
    update,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const [file, listener] of listeners) unwatchFile(file, listener);
      listeners.clear();
    },
  };
}
