import { formatError } from '../errors.js';
import type { EventStream } from '../events/event-stream.js';
import type { GatewayEvent, RequestFinished, RequestOutcome } from '../events/gateway-events.js';

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
  line += routeFields(event);
  if (event.upstreamUrl !== undefined) line += `,"upstreamUrl":${quote(event.upstreamUrl)}`;
  line += `,"clientIp":"${event.clientIp}"`;
  if (event.caller !== undefined) line += `,"caller":${quote(event.caller)}`;
  // 32 hex digits (src/observe/trace/): nothing to escape.
  if (event.traceId !== undefined) line += `,"traceId":"${event.traceId}"`;
  line += `,"outcome":${outcomeJson(event.outcome)},"durationMs":${hundredths(event.durationMs)}`;
  if (event.upstreamMs !== undefined) line += `,"upstreamMs":${hundredths(event.upstreamMs)}`;
  return line + '}';
}

interface RouteFields {
  readonly service: string | undefined;
  readonly target: string | undefined;
  readonly text: string;
}

/** Written route fields by route id: the same route, service and target on request after request. */
const routeTexts = new Map<string, RouteFields>();
const ROUTE_TEXTS_KEPT = 256;

/** `,"routeId":…,"service":…,"target":…` (those present), made once per route and target. */
function routeFields(event: RequestFinished): string {
  const { routeId, service, target } = event;
  if (routeId === undefined) return fieldsText(routeId, service, target);
  const kept = routeTexts.get(routeId);
  if (kept !== undefined && kept.service === service && kept.target === target) return kept.text;
  const text = fieldsText(routeId, service, target);
  if (routeTexts.size >= ROUTE_TEXTS_KEPT) routeTexts.clear();
  routeTexts.set(routeId, { service, target, text });
  return text;
}

function fieldsText(routeId: string | undefined, service: string | undefined, target: string | undefined) {
  let text = '';
  if (routeId !== undefined) text += `,"routeId":${quote(routeId)}`;
  if (service !== undefined) text += `,"service":${quote(service)}`;
  if (target !== undefined) text += `,"target":${quote(target)}`;
  return text;
}

/**
 * The outcome as JSON.stringify writes it (same keys in the same order, same numbers), without
 * its generic walk for the flat outcomes of almost every request (a limit's remainder, a cache
 * result); anything nested (OpenAPI drift) goes the general way.
 */
function outcomeJson(outcome: RequestOutcome): string {
  let text = '';
  for (const key in outcome) {
    const value: unknown = outcome[key as keyof RequestOutcome];
    let json: string;
    if (typeof value === 'number') json = Number.isFinite(value) ? String(value) : 'null';
    else if (typeof value === 'boolean') json = value ? 'true' : 'false';
    else if (typeof value === 'string') json = quote(value);
    else if (value === undefined) continue;
    else return jsonText(str(outcome));
    text += `${text === '' ? '' : ','}${quote(key)}:${json}`;
  }
  return `{${text}}`;
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

/**
 * `String(round(ms))` from integers: the double nearest n/100 prints as n/100's shortest decimal,
 * so whole part, point and one or two digits give the same text without V8's float printing
 * (the costliest part of a request line). Anything odd (negative, huge, NaN) goes the usual way.
 */
function hundredths(ms: number): string {
  const n = Math.round(ms * 100);
  if (!(n >= 0 && n < 1e15)) return String(n / 100);
  const whole = Math.floor(n / 100);
  const cents = n - whole * 100;
  if (cents === 0) return String(whole);
  if (cents % 10 === 0) return `${whole}.${cents / 10}`;
  return `${whole}.${cents < 10 ? '0' : ''}${cents}`;
}

// Lines of one millisecond share their timestamp, and those of one second all but its last
// digits: the date and time up to the second are formatted once a second, the milliseconds
// written on (toISOString ends every timestamp in `.sssZ`).
let lastAt = Number.NaN;
let lastTime = '';
let lastSecond = Number.NaN;
let secondText = '';
const msText = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z`);
function timeOf(at: number): string {
  if (at === lastAt) return lastTime;
  // A fraction of a millisecond (never from Date.now()) takes the plain way.
  if (!Number.isInteger(at)) return new Date(at).toISOString();
  lastAt = at;
  const ms = at - Math.floor(at / 1000) * 1000;
  if (at - ms !== lastSecond) {
    lastSecond = at - ms;
    secondText = new Date(lastSecond).toISOString().slice(0, -4);
  }
  lastTime = secondText + msText[ms]!;
  return lastTime;
}
