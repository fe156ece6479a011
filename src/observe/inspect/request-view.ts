import { STATUS_CODES } from 'node:http';
import type { RequestFinished } from '../../events/gateway-events.js';
import { redactHeaders } from '../../events/redact.js';
import { curlCommand } from './curl-command.js';
import { redactNames } from './redact-body.js';
import { showBody, type ShownBody } from './show-body.js';

export type HeaderPairs = Array<[name: string, value: string]>;

/** One kept request as /__gw/requests/:id, the dashboard's detail and `R` show it. */
export interface RequestView {
  id: string;
  at: string;
  method: string;
  /** The path and query as gw matched them (credentials in the query redacted). */
  path: string;
  status: number;
  statusText: string;
  durationMs: number;
  routeId?: string;
  service?: string;
  upstreamUrl?: string;
  request: { headers: HeaderPairs; body?: ShownBody };
  /** The request as it went upstream (gw's forwarding headers added), when it did. */
  upstream?: { url?: string; headers: HeaderPairs };
  response: { headers: HeaderPairs; body?: ShownBody };
  /** The request as a curl command against gw (when its bodies were kept). */
  curl?: string;
}

type AnyHeaders = RequestFinished['requestHeaders'] | RequestFinished['responseHeaders'] | readonly string[];

/** Headers as [name, value] pairs, in the order they came; a repeated header stays repeated. */
export function headerPairs(headers: AnyHeaders): HeaderPairs {
  if (!headers) return [];
  if (Array.isArray(headers)) {
    const list: readonly string[] = headers;
    const pairs: HeaderPairs = [];
    for (let i = 0; i + 1 < list.length; i += 2) pairs.push([list[i]!, list[i + 1]!]);
    return pairs;
  }
  const pairs: HeaderPairs = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [String(value)]) pairs.push([name, item]);
  }
  return pairs;
}

export function headerValue(pairs: HeaderPairs, name: string): string | undefined {
  return pairs.find(([key]) => key.toLowerCase() === name)?.[1];
}

/**
 * Everything kept of one request, redacted (credential headers, inspect.redact fields) and
 * decoded; JSON pretty-printed when `pretty` (display), as sent otherwise (export).
 */
export function viewRequest(event: RequestFinished, pretty = true): RequestView {
  const bodies = event.bodies;
  const upstreamHeaders = headerPairs(event.requestHeaders);
  const clientHeaders = bodies ? headerPairs(redactHeaders(bodies.clientHeaders)) : upstreamHeaders;
  const responseHeaders = headerPairs(event.responseHeaders);
  const redact = redactNames(bodies?.redact ?? []);
  const show = (side: 'request' | 'answer', headers: HeaderPairs) =>
    bodies &&
    showBody(bodies[side], {
      contentType: headerValue(headers, 'content-type'),
      contentEncoding: headerValue(headers, 'content-encoding'),
      redact,
      pretty,
    });
  const view: RequestView = {
    id: event.id,
    at: new Date(event.at).toISOString(),
    method: event.method,
    path: event.path,
    status: event.status,
    statusText: STATUS_CODES[event.status] ?? '',
    durationMs: Math.round(event.durationMs * 100) / 100,
    routeId: event.routeId,
    service: event.service,
    upstreamUrl: event.upstreamUrl,
    request: { headers: clientHeaders, body: show('request', clientHeaders) },
    response: { headers: responseHeaders, body: show('answer', responseHeaders) },
  };
  if (event.target !== undefined) view.upstream = { url: event.upstreamUrl, headers: upstreamHeaders };
  if (bodies) view.curl = curlCommand(event.method, bodies);
  return view;
}
