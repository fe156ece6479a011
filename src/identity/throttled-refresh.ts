// Unknown keys are what an attacker sends too: re-read at most this often.
const MIN_INTERVAL_MS = 250;

/**
 * Wraps a reload so that callers arriving together share one run and a flood of unknown
 * credentials costs at most a few reads per second.
 */
export function throttledRefresh(reload: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let last = 0;
  return () => {
    if (running) return running;
    if (Date.now() - last < MIN_INTERVAL_MS) return Promise.resolve();
    last = Date.now();
    running = reload().finally(() => {
      running = undefined;
    });
    return running;
  };
}
