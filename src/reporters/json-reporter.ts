import { formatError } from '../errors.js';
import type { EventStream } from '../events/event-stream.js';
import type { GatewayEvent } from '../events/gateway-events.js';

/**
 * JSON lines (`--log-format json`): one object per event, request lines with the request id,
 * route, target, status, durations and policy outcomes. Headers stay out of the log.
 */
export function startJsonReporter(options: {
  events: EventStream;
  write?: (line: string) => void;
}): () => void {
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  return options.events.subscribe((event) => {
    const record = toRecord(event);
    if (record) write(JSON.stringify(record));
  });
}

function toRecord(event: GatewayEvent): Record<string, unknown> | undefined {
  switch (event.type) {
    // The request line carries the limit outcome (outcome.limited, outcome.limitRemaining): one
    // line per request, not two.
    case 'request-started':
    case 'limit-checked':
      return undefined;
    case 'request-finished': {
      // Copied key by key, not with rest/spread: this runs for every request, and a for-in copy
      // into one object costs about half (same keys, same order).
      const record: Record<string, unknown> = { time: timeOf(event.at), event: 'request' };
      for (const key in event) {
        if (!requestKeysLeftOut.has(key)) record[key] = event[key as keyof typeof event];
      }
      record.durationMs = round(event.durationMs);
      if (event.upstreamMs !== undefined) record.upstreamMs = round(event.upstreamMs);
      return record;
    }
    case 'config-rejected':
      return {
        time: new Date(event.at).toISOString(),
        event: event.type,
        file: event.file,
        code: event.error.code,
        message: formatError(event.error),
        problems: event.error.problems,
      };
    default: {
      const record: Record<string, unknown> = { time: timeOf(event.at), event: event.type };
      for (const key in event) {
        if (key !== 'type' && key !== 'at') record[key] = event[key as keyof typeof event];
      }
      if (typeof record.durationMs === 'number') record.durationMs = round(record.durationMs);
      return record;
    }
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Headers stay out of the log; type and the timings are written in their own way. */
const requestKeysLeftOut = new Set([
  'type',
  'at',
  'durationMs',
  'upstreamMs',
  'requestHeaders',
  'responseHeaders',
]);

// Lines of one millisecond share their timestamp: format it once.
let lastAt = Number.NaN;
let lastTime = '';
function timeOf(at: number): string {
  if (at !== lastAt) {
    lastAt = at;
    lastTime = new Date(at).toISOString();
  }
  return lastTime;
}
