import { formatError } from '../errors.js';
import type { EventStream } from '../events/event-stream.js';
import type { GatewayEvent, RequestFinished } from '../events/gateway-events.js';

/**
 * JSON lines (`--log-format json`): one object per event, request lines with the request id,
 * route, target, status, durations and policy outcomes. Headers stay out of the log.
 */
export function startJsonReporter(options: {
  events: EventStream;
  write?: (line: string) => void;
}): () => void {
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  return options.events.subscribe(
    (event) => {
      if (event.type === 'request-finished') return write(requestLine(event));
      const record = toRecord(event);
      if (record) write(jsonText(JSON.stringify(record)));
    },
    { skip: perRequestDetail },
  );
}

/** The request line carries what these say (the limit outcome): one line per request, not three. */
const perRequestDetail = ['request-started', 'limit-checked'] as const;

const str = JSON.stringify;
/** Printable ASCII without `"` and `\`: such a string is its own JSON body, no escaping needed. */
const plainJsonText = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const quote = (text: string) => (plainJsonText.test(text) ? `"${text}"` : jsonText(str(text)));
/**
 * JSON escapes C0 controls itself but leaves DEL, C1 (NEL, the 8-bit CSI) and U+2028/2029 as
 * they are: a `tail -f` of the log would hand them to the terminal. Escaped, the value is the same.
 */
const unescapedControls = /[\x7f-\x9f\u2028\u2029]/g;
const jsonText = (json: string) =>
  json.replace(unescapedControls, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * The request line, written field by field: it runs for every request, and this costs about a
 * third of building a record and stringifying it (issue 7). Same keys as a record would have;
 * absent fields are left out. Headers stay out of the log. The request id (a UUID or a checked
 * client id), the method (a token, by Node's parser) and the client address need no escaping.
 */
export function requestLine(event: RequestFinished): string {
  let line = `{"time":"${timeOf(event.at)}","event":"request","id":"${event.id}","method":"${event.method}","path":${quote(event.path)},"status":${event.status}`;
  if (event.routeId !== undefined) line += `,"routeId":${quote(event.routeId)}`;
  if (event.service !== undefined) line += `,"service":${quote(event.service)}`;
  if (event.target !== undefined) line += `,"target":${quote(event.target)}`;
  if (event.upstreamUrl !== undefined) line += `,"upstreamUrl":${quote(event.upstreamUrl)}`;
  line += `,"clientIp":"${event.clientIp}"`;
  if (event.caller !== undefined) line += `,"caller":${quote(event.caller)}`;
  // 32 hex digits (src/observe/trace/): nothing to escape.
  if (event.traceId !== undefined) line += `,"traceId":"${event.traceId}"`;
  line += `,"outcome":${jsonText(str(event.outcome))},"durationMs":${round(event.durationMs)}`;
  if (event.upstreamMs !== undefined) line += `,"upstreamMs":${round(event.upstreamMs)}`;
  return line + '}';
}

function toRecord(event: GatewayEvent): Record<string, unknown> | undefined {
  switch (event.type) {
    // The request line carries the limit outcome (outcome.limited, outcome.limitRemaining): one
    // line per request, not two.
    case 'request-started':
    case 'limit-checked':
      return undefined;
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
