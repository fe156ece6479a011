import { once } from 'node:events';

export interface LineWriter {
  /** Queues one line; it is written with the others of this event-loop turn. */
  write(line: string): void;
  /** Writes whatever is queued now (before a direct write, on close). */
  flush(): void;
}

interface Output {
  write(text: string): unknown;
  /** Bytes accepted but not yet written (a non-blocking pipe's backlog). */
  readonly writableLength?: number;
}

/** Beyond this backlog a reader is not keeping up: request lines are counted, not queued. */
const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;

/**
 * Output for the request log, batched per event-loop turn: under load that is one write for many
 * lines instead of one system call per request (issue 7: with `gw dev` at ~10k req/s the per-line
 * stdout write cost more CPU per request than any policy). Lines keep their order; a quiet
 * gateway still prints each line at once, one turn later. When the output's backlog passes
 * 16 MB (its reader stopped reading), lines are dropped and counted, and the count is printed
 * once the output moves again: memory stays bounded and requests never wait on the log.
 */
export function createLineWriter(stream: Output): LineWriter {
  let pending: string[] = [];
  let scheduled = false;
  let dropped = 0;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    if ((stream.writableLength ?? 0) > MAX_BACKLOG_BYTES) {
      dropped += pending.length;
      pending = [];
      return;
    }
    let text = pending.join('\n') + '\n';
    pending = [];
    if (dropped > 0) {
      text = `gw: ${dropped} log lines dropped: the output was not read fast enough\n${text}`;
      dropped = 0;
    }
    stream.write(text);
  };
  return {
    write(line) {
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

/**
 * Resolves once everything written to `stream` has left the process, or after `timeoutMs`. Node
 * writes to a pipe asynchronously and keeps what a slow reader has not taken yet; an exit with
 * output still queued would lose the last lines.
 */
export async function drainOutput(stream: NodeJS.WritableStream & Output, timeoutMs: number): Promise<void> {
  if ((stream.writableLength ?? 0) === 0) return;
  await Promise.race([
    once(stream, 'drain'),
    new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
  ]);
}
