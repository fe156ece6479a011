import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';

// Several events arrive for one atomic write (temp create, rename); one reload covers them.
const DEBOUNCE_MS = 20;
// Safety net in case a file system drops inotify events; cheap (one stat per second).
const POLL_MS = 1_000;

/**
 * Calls `onChange` when `file` is written, created or removed by another process. Watches the
 * folder, not the file: an atomic rename replaces the file's inode, which a file watch would lose.
 */
export function watchStateFile(file: string, onChange: () => void): () => void {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let timer: NodeJS.Timeout | undefined;
  let fingerprint = '';
  const fire = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, DEBOUNCE_MS);
    timer.unref();
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, { persistent: false }, (_event, name) => {
      if (name === null || name === base) fire();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined;
  }
  const readFingerprint = () =>
    stat(file).then(
      (s) => `${s.ino}:${s.mtimeMs}:${s.size}`,
      () => 'missing',
    );
  void readFingerprint().then((value) => (fingerprint = value));
  const poll = setInterval(() => {
    void readFingerprint().then((value) => {
      if (value === fingerprint) return;
      fingerprint = value;
      fire();
    });
  }, POLL_MS);
  poll.unref();
  return () => {
    clearTimeout(timer);
    clearInterval(poll);
    watcher?.close();
  };
}
