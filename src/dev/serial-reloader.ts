/**
 * Runs reloads one at a time: a trigger during a reload queues exactly one more, so rapid
 * saves coalesce and the last save always wins.
 */
export function createSerialReloader(reload: () => Promise<void>): { trigger(): Promise<void> } {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  const run = (): Promise<void> => {
    running = reload().finally(() => {
      running = undefined;
    });
    return running;
  };
  return {
    trigger() {
      if (!running) return run();
      queued ??= running.then(() => {
        queued = undefined;
        return run();
      });
      return queued;
    },
  };
}
