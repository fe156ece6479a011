import { STATUS_CODES } from 'node:http';
import type { EventStream } from '../events/event-stream.js';
import type { RequestFinished } from '../events/gateway-events.js';
import type { GatewayState } from '../state/types.js';

/**
 * The last requests gw saw, kept as HAR 1.2 entries for `/__gw/har` (issue 17, item 2;
 * http://www.softwareishard.com/blog/har-12-spec/). Headers arrive redacted from request-finished
 * (src/pipeline/request-events.ts); bodies are not kept, so an entry says only their size.
 * Bounded: the oldest entry goes when a new one comes past the capacity.
 *
 * Why 250 and not more: a kept request (its event, headers and bodies' capture, about 1.7 KB of
 * objects) lives until 250 newer ones have finished. Node's young generation is collected about
 * every 400 requests on the request path (~30 KB allocated per request, mostly by node:http), and
 * an object that survives two of those collections is copied to the old generation. With 1,000
 * kept, every request's objects were promoted (1.7 KB per request) and old-generation collections
 * followed: GC pauses went from ~2 to ~9 µs per request, about 8 % of gw's CPU per request on the
 * bench. With 250, what is kept dies young (0.16 KB per request promoted). Measured with
 * `node --trace-gc-nvp` over 20,000 requests (docs/performance.md). The dashboard's list keeps as
 * many, so every row it shows can still be copied as curl or replayed.
 */
export const KEPT_REQUESTS = 250;

interface HarHeader {
  name: string;
  value: string;
}

export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: {
    method: string;
    url: string;
    httpVersion: string;
    cookies: [];
    headers: HarHeader[];
    queryString: HarHeader[];
    headersSize: -1;
    bodySize: number;
  };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    cookies: [];
    headers: HarHeader[];
    content: { size: number; mimeType: string };
    redirectURL: string;
    headersSize: -1;
    bodySize: number;
  };
  cache: Record<string, never>;
  timings: { send: number; wait: number; receive: number };
  _gw: { id: string; routeId?: string; service?: string; target?: string; answeredBy?: string };
}

type Headers = RequestFinished['requestHeaders'] | RequestFinished['responseHeaders'];

function harHeaders(headers: Headers): HarHeader[] {
  if (!headers) return [];
  if (Array.isArray(headers)) {
    const list: readonly string[] = headers;
    const pairs: HarHeader[] = [];
    for (let i = 0; i + 1 < list.length; i += 2) pairs.push({ name: list[i]!, value: list[i + 1]! });
    return pairs;
  }
  return Object.entries(headers).flatMap(([name, value]) =>
    value === undefined
      ? []
      : (Array.isArray(value) ? value : [String(value)]).map((v) => ({ name, value: v })),
  );
}

function header(list: HarHeader[], name: string): string | undefined {
  return list.find((h) => h.name.toLowerCase() === name)?.value;
}

export function toEntry(event: RequestFinished): HarEntry {
  const requestHeaders = harHeaders(event.requestHeaders);
  const responseHeaders = harHeaders(event.responseHeaders);
  const url = new URL(event.path, `http://${header(requestHeaders, 'host') ?? 'localhost'}`);
  const version = `HTTP/${event.httpVersion ?? '1.1'}`;
  const time = Math.max(0, event.durationMs);
  const wait = Math.min(time, Math.max(0, event.upstreamMs ?? time));
  const length = (list: HarHeader[]) => Number(header(list, 'content-length') ?? -1);
  return {
    startedDateTime: new Date(event.at - time).toISOString(),
    time,
    request: {
      method: event.method,
      url: url.href,
      httpVersion: version,
      cookies: [],
      headers: requestHeaders,
      queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
      headersSize: -1,
      bodySize: length(requestHeaders),
    },
    response: {
      status: event.status,
      statusText: STATUS_CODES[event.status] ?? '',
      httpVersion: version,
      cookies: [],
      headers: responseHeaders,
      content: {
        size: Math.max(0, length(responseHeaders)),
        mimeType: header(responseHeaders, 'content-type') ?? '',
      },
      redirectURL: header(responseHeaders, 'location') ?? '',
      headersSize: -1,
      bodySize: length(responseHeaders),
    },
    cache: {},
    timings: { send: 0, wait, receive: time - wait },
    _gw: {
      id: event.id,
      routeId: event.routeId,
      service: event.service,
      target: event.target,
      answeredBy: event.outcome.answeredBy,
    },
  };
}

export interface HarLog {
  /** The last `count` requests (oldest first) as a HAR 1.2 document. */
  export(count: number): {
    log: { version: '1.2'; creator: { name: string; version: string }; entries: HarEntry[] };
  };
  /** The last `count` finished requests as kept (oldest first), for /__gw/requests and HAR with bodies. */
  recent(count: number): readonly RequestFinished[];
}

const logs = new WeakMap<GatewayState, HarLog>();

/** Starts keeping requests for the process whose state this is (once; later builds reuse it). */
export function keepRequestsForHar(
  events: EventStream,
  state: GatewayState,
  capacity = KEPT_REQUESTS,
): HarLog {
  const existing = logs.get(state);
  if (existing) return existing;
  // The events themselves are kept: their headers are redacted and turned into HAR only when
  // someone exports, so keeping costs a push per request.
  const kept: RequestFinished[] = [];
  events.subscribe(
    (event) => {
      if (event.type !== 'request-finished') return;
      kept.push(event);
      if (kept.length > capacity) kept.shift();
    },
    // Only finished requests are kept: the other per-request events stay unbuilt unless a view
    // or reporter reads them.
    { skip: ['request-started', 'limit-checked', 'auth-failed', 'upstream-error'] },
  );
  const log: HarLog = {
    export: (count) => ({
      log: {
        version: '1.2',
        creator: { name: 'gw', version: '0.1.0' },
        entries: count > 0 ? kept.slice(-count).map(toEntry) : [],
      },
    }),
    recent: (count) => (count > 0 ? kept.slice(-count) : []),
  };
  logs.set(state, log);
  return log;
}

export function harLogOf(state: GatewayState): HarLog | undefined {
  return logs.get(state);
}
