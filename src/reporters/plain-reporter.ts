import { Chalk } from 'chalk';
import type { EventStream } from '../events/event-stream.js';
import { formatEvent } from './format-event.js';

export interface ReporterOptions {
  events: EventStream;
  write?: (line: string) => void;
  /** Colour unless NO_COLOR is set or the output is not a terminal. */
  color?: boolean;
}

/** One coloured line per request and per event: for pipes, CI and --no-dashboard. */
export function startPlainReporter(options: ReporterOptions): () => void {
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const useColor = options.color ?? (!process.env.NO_COLOR && process.stdout.isTTY === true);
  const color = new Chalk({ level: useColor ? 1 : 0 });
  return options.events.subscribe(
    (event) => {
      const line = formatEvent(event, color);
      if (line !== undefined) write(line);
    },
    // Per-request detail the request line already sums up: nobody builds it unless a view wants it.
    { skip: ['request-started', 'limit-checked', 'auth-failed'] },
  );
}
