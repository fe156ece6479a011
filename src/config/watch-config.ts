import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

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

/**
 * Watches the config and every local file it imports. chokidar watches their folders, not the
 * files: an editor's rename-save (write a temp file, rename it over) replaces the inode, which a
 * watch on the file itself can lose; the folder sees every rename. Events for other files in
 * those folders (our own temporary bundles included) are ignored.
 */
export function watchConfig(
  loaded: { file: string; dependencies: readonly string[] },
  onChange: (reason: ConfigChangeReason) => void,
  options: WatchConfigOptions = {},
): ConfigWatcher {
  const debounceMs = options.debounceMs ?? 80;
  const configFile = path.resolve(loaded.file);
  let files = watchedFiles(configFile, loaded.dependencies);
  let dirs = foldersOf(files);
  let timer: NodeJS.Timeout | undefined;
  let last: ConfigChangeReason | undefined;
  let closed = false;

  const watcher: FSWatcher = watch([...dirs], {
    ignoreInitial: true,
    depth: 0,
    // unlink + add within this window (a rename-save) is reported as one change.
    atomic: 100,
    ignored: (file) => !files.has(file) && !dirs.has(file),
  });

  function flush(): void {
    timer = undefined;
    const reason = last;
    last = undefined;
    if (reason && !closed) onChange(reason);
  }

  function record(event: 'add' | 'change' | 'unlink', file: string): void {
    if (!files.has(file)) return;
    // Deleting the config wins over edits in the same burst; anything else means "load again".
    const kind = event === 'unlink' && file === configFile ? 'deleted' : 'changed';
    if (last?.kind === 'deleted' && kind === 'changed' && file !== configFile) return;
    last = { kind, file };
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, debounceMs);
  }

  watcher.on('add', (file) => record('add', path.resolve(file)));
  watcher.on('change', (file) => record('change', path.resolve(file)));
  watcher.on('unlink', (file) => record('unlink', path.resolve(file)));
  // A vanished folder or a permission error must not take the dev server down.
  watcher.on('error', () => undefined);

  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));

  function update(dependencies: readonly string[]): void {
    const nextFiles = watchedFiles(configFile, dependencies);
    const nextDirs = foldersOf(nextFiles);
    const gone = [...dirs].filter((dir) => !nextDirs.has(dir));
    const added = [...nextDirs].filter((dir) => !dirs.has(dir));
    files = nextFiles;
    dirs = nextDirs;
    if (gone.length > 0) watcher.unwatch(gone);
    if (added.length > 0) watcher.add(added);
  }

  return {
    ready,
    update,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}
