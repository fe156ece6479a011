import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';

export interface ConfigChangeReason {
  kind: 'changed' | 'deleted';
  /** The file whose change triggered the reload (the last one, when saves coalesced). */
  file: string;
}

export interface WatchConfigOptions {
  /** Quiet time before a burst of saves becomes one callback. */
  debounceMs?: number;
}

export interface ConfigWatcher {
  /** Resolves once the watcher sees the files (changes before that may be missed). */
  ready: Promise<void>;
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
  loaded: { file: string; dependencies: readonly string[] },
  onChange: (reason: ConfigChangeReason) => void,
  options: WatchConfigOptions = {},
): ConfigWatcher {
  const debounceMs = options.debounceMs ?? 80;
  const configFile = path.resolve(loaded.file);
  let files = watchedFiles(configFile, loaded.dependencies);
  const folders = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let touched = new Set<string>();
  let closed = false;

  async function flush(): Promise<void> {
    timer = undefined;
    const burst = touched;
    touched = new Set();
    if (burst.size === 0 || closed) return;
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
      watcher.on('error', () => {
        watcher.close();
        folders.delete(folder);
      });
      folders.set(folder, watcher);
    } catch {
      // The folder is gone already: nothing to watch there (the next reload lists files anew).
    }
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
    for (const folder of wanted) watchFolder(folder);
  }

  return {
    // fs.watch is in place once it returns.
    ready: Promise.resolve(),
    update,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const watcher of folders.values()) watcher.close();
      folders.clear();
    },
  };
}
