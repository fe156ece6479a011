import { formatError } from '../errors.js';
import type { EventStream } from '../events/event-stream.js';
import type { GatewayEvent } from '../events/gateway-events.js';

/**
 * JSON lines (`--log-format json`): one object per event, request lines with the request id,
 * route, target, status, durations and policy outcomes. Headers stay out of the log.
 */
export function startJsonReporter(options: { events: EventStream; write?: (line: string) => void }): () => void {
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  return options.events.subscribe((event) => {
    const record = toRecord(event);
    if (record) write(JSON.stringify(record));
  });
}

function toRecord(event: GatewayEvent): Record<string, unknown> | undefined {
  switch (event.type) {
    case 'request-started':
      return undefined;
    case 'request-finished': {
      const { requestHeaders: _req, responseHeaders: _res, type: _t, at, durationMs, upstreamMs, ...rest } = event;
      return {
        time: new Date(at).toISOString(),
        event: 'request',
        ...rest,
        durationMs: round(durationMs),
        ...(upstreamMs === undefined ? {} : { upstreamMs: round(upstreamMs) }),
      };
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
      const { type, at, ...rest } = event;
      return { time: new Date(at).toISOString(), event: type, ...rest };
    }
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;
