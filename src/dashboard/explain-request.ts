import { STATUS_CODES } from 'node:http';
import type { RequestFinished, RouteSummary } from '../events/index.js';
import type { LimitEntry } from './dashboard-types.js';
import { formatCountdown, formatLatency } from './format.js';

/**
 * The words of the detail view, as plain data: which policy answered and why, the route that
 * matched, the time split between gateway and upstream.
 */
export interface RequestExplanation {
  title: string;
  route: string;
  target: string;
  caller: string;
  timings: string;
  answer: string;
  /** The newest numbers of the limit this caller has on this route, when it has one. */
  limit: string | undefined;
}

export function explainRequest(
  request: RequestFinished,
  route: RouteSummary | undefined,
  limit: LimitEntry | undefined,
  now: number,
): RequestExplanation {
  const statusText = STATUS_CODES[request.status] ?? '';
  return {
    title: `${request.method} ${request.path} → ${request.status} ${statusText}`.trimEnd(),
    route: describeRoute(request, route),
    target: request.target
      ? `${request.target}${request.upstreamUrl ? ` → ${request.upstreamUrl}` : ''}`
      : 'none (answered before the upstream)',
    caller: `${request.caller ?? 'anonymous'} from ${request.clientIp}`,
    timings: describeTimings(request),
    answer: describeAnswer(request, limit, now),
    limit: explainLimit(request, limit, now),
  };
}

function describeRoute(request: RequestFinished, route: RouteSummary | undefined): string {
  if (request.routeId === undefined) return 'no route matched';
  if (!route) return request.routeId;
  const methods = route.methods.length > 0 ? route.methods.join(',') : 'any method';
  const service = route.service ? ` → service ${route.service}` : '';
  return `${route.id}: ${methods} ${route.path} matched ${request.method} ${request.path}${service}`;
}

function describeTimings(request: RequestFinished): string {
  const total = `total ${formatLatency(request.durationMs)}`;
  if (request.upstreamMs === undefined) return `${total} · all in the gateway (no upstream call)`;
  const gateway = Math.max(0, request.durationMs - request.upstreamMs);
  return `${total} · gateway ${formatLatency(gateway)} · upstream ${formatLatency(request.upstreamMs)}`;
}

/** Who answered, in words: a policy, gw itself (with the error code), or the upstream. */
function describeAnswer(request: RequestFinished, limit: LimitEntry | undefined, now: number): string {
  const { answeredBy, reason, code } = request.outcome;
  const status = code ? `${request.status} ${code}` : String(request.status);
  // Codes stand in for a policy name when no policy claimed the answer.
  if (answeredBy && !answeredBy.startsWith('GW_')) {
    const why = reason ?? explainLimit(request, limit, now) ?? 'no reason given';
    return `the ${answeredBy} policy · ${status}: ${why}`;
  }
  if (request.status === 429 || request.outcome.limited) {
    const why = explainLimit(request, limit, now);
    if (why) return `the rate-limit policy · ${status}: ${why}`;
  }
  if (code) return `gw itself · ${status}: ${reason ?? 'no reason given'}`;
  if (request.target)
    return `the upstream ${request.target}${request.service ? ` (service ${request.service})` : ''}`;
  return reason ? `gw itself: ${reason}` : 'gw itself';
}

/** "mobile-app used 10/10 of 10 per 1m, resets in 42 s", from the newest limit-checked event. */
function explainLimit(
  request: RequestFinished,
  limit: LimitEntry | undefined,
  now: number,
): string | undefined {
  if (!limit) return undefined;
  const resetsIn = Math.max(0, limit.resetAt - now);
  const used = resetsIn === 0 ? 0 : limit.limit - limit.remaining;
  const when = resetsIn === 0 ? 'the window has reset' : `resets in ${formatCountdown(resetsIn)}`;
  return `${limit.caller} used ${used}/${limit.limit} of ${limit.policy}, ${when}`;
}
