import { STATUS_CODES } from 'node:http';
import { errorCatalogue } from '../errors.js';
import type { RequestFinished, RouteSummary } from '../events/index.js';
import type { LimitEntry } from './dashboard-types.js';
import { explainRequest } from './explain-request.js';
import { formatClock } from './format.js';
import { describeMarkers } from './LiveRequests.js';
import {
  answerBodyLines,
  curlLines,
  replayLines,
  requestBodyLines,
  type InspectExtras,
} from './body-lines.js';

/** One line of the detail view; the view scrolls over them. */
export interface DetailLine {
  text: string;
  kind: 'title' | 'fact' | 'section' | 'plain' | 'dim';
  /** For facts: the label in the left column. */
  label?: string;
}

type Headers = RequestFinished['responseHeaders'] | RequestFinished['requestHeaders'];

function headerLines(headers: Headers): string[] {
  const lines: string[] = [];
  if (Array.isArray(headers)) {
    // A flat [name, value, …] list, as the head was sent.
    const list = headers as readonly string[];
    for (let i = 0; i + 1 < list.length; i += 2) lines.push(`${list[i]!.toLowerCase()}: ${list[i + 1]}`);
  } else {
    for (const [name, value] of Object.entries(headers ?? {})) {
      if (value !== undefined)
        lines.push(`${name}: ${Array.isArray(value) ? value.join(', ') : String(value)}`);
    }
  }
  return lines;
}

function isKnownCode(code: string): code is keyof typeof errorCatalogue {
  return code in errorCatalogue;
}

/** The RFC 9457 body gw sent, rebuilt from the event (the same members problem.ts writes). */
function problemBody(request: RequestFinished): string[] {
  const { code, reason, hint } = request.outcome;
  if (!code) return [];
  const body = {
    type: `urn:gw:problem:${code}`,
    title: isKnownCode(code) ? errorCatalogue[code].title : undefined,
    status: request.status,
    detail: reason,
    hint: hint ?? (isKnownCode(code) ? errorCatalogue[code].hint : undefined),
    code,
    instance: request.path.split('?')[0],
    requestId: request.id,
  };
  return JSON.stringify(body, null, 2).split('\n');
}

/** Did the request reach an upstream? A refused connect or no healthy target sent nothing. */
function wentUpstream(request: RequestFinished): boolean {
  if (request.target === undefined) return false;
  return (
    request.outcome.code !== 'GW_UPSTREAM_UNREACHABLE' && request.outcome.code !== 'GW_NO_HEALTHY_TARGET'
  );
}

/**
 * Everything the detail view shows, as lines: what happened in a few facts, then what gw
 * answered (status, headers, the problem body it wrote), then what went upstream, if anything.
 */
export function detailLines(
  request: RequestFinished,
  route: RouteSummary | undefined,
  limit: LimitEntry | undefined,
  now: number,
  extras: InspectExtras = {},
): DetailLine[] {
  const explained = explainRequest(request, route, limit, now);
  const lines: DetailLine[] = [{ kind: 'title', text: explained.title }];
  const fact = (label: string, text: string) => lines.push({ kind: 'fact', label, text });
  fact('answered by', explained.answer);
  if (explained.limit) fact('limit', explained.limit);
  fact('route', explained.route);
  fact('target', explained.target);
  fact('caller', explained.caller);
  fact('timings', explained.timings);
  fact('markers', describeMarkers(request.outcome) || '—');
  fact('id', `${request.id} at ${formatClock(request.at)}`);
  if (request.traceId !== undefined) fact('trace', request.traceId);
  const { drift } = request.outcome;
  if (drift) {
    // validate.response 'warn': the answer was served as it came; here is where it broke the spec.
    lines.push({
      kind: 'section',
      text: `SPEC DRIFT: the answer breaks ${drift.operation} (served as it came)`,
    });
    for (const v of drift.violations) lines.push({ kind: 'plain', text: `  ${v.location}: ${v.expected}` });
  }
  // inspect: what `c` copied, at the top where it shows without scrolling.
  lines.push(...curlLines(extras.curl));

  const ownAnswer =
    request.outcome.code !== undefined ||
    (request.outcome.answeredBy !== undefined && !wentUpstream(request));
  const status = `${request.status} ${STATUS_CODES[request.status] ?? ''}`.trimEnd();
  lines.push({
    kind: 'section',
    text: ownAnswer ? `WHAT GW ANSWERED: ${status}` : `WHAT THE CLIENT GOT: ${status} (from the upstream)`,
  });
  const answerHeaders = headerLines(request.responseHeaders);
  if (answerHeaders.length === 0) lines.push({ kind: 'dim', text: '  (no headers recorded)' });
  for (const line of answerHeaders) lines.push({ kind: 'plain', text: `  ${line}` });
  const body = problemBody(request);
  if (body.length > 0) {
    lines.push({ kind: 'dim', text: '  body (application/problem+json):' });
    for (const line of body) lines.push({ kind: 'plain', text: `    ${line}` });
  }
  // inspect: the answer's body as the client got it, then what `R` got beside it.
  lines.push(...answerBodyLines(request), ...replayLines(request, extras.replay));

  if (wentUpstream(request)) {
    lines.push({ kind: 'section', text: `WHAT WENT UPSTREAM: ${request.upstreamUrl ?? request.target}` });
    const sent = headerLines(request.requestHeaders);
    if (sent.length === 0) lines.push({ kind: 'dim', text: '  (no headers recorded)' });
    for (const line of sent) lines.push({ kind: 'plain', text: `  ${line}` });
  } else {
    const why =
      request.outcome.code === 'GW_UPSTREAM_UNREACHABLE' && request.target
        ? `: could not connect to ${request.target}`
        : '';
    lines.push({ kind: 'section', text: `WHAT WENT UPSTREAM: not sent upstream${why}` });
  }
  lines.push(...requestBodyLines(request));
  return lines;
}
