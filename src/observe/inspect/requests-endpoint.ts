import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../../errors.js';
import { sendProblem } from '../../pipeline/problem.js';
import type { GatewayState } from '../../state/types.js';
import { KEPT_REQUESTS, harLogOf } from '../har-log.js';
import { inspectStoreOf } from './inspect-store.js';
import { viewRequest } from './request-view.js';

export const REQUESTS_PATH = '/__gw/requests';

/**
 * `/__gw/requests` lists the last requests (newest first: id, method, path, status, body sizes);
 * `/__gw/requests/:id` shows one with its headers and bodies, redacted and decoded (issue 17).
 * Both sit behind the admin Host check (intake); bodies are more private than the rest, so a
 * browser page of another origin is refused too (a cross-site read would need only a GET).
 */
export function sendRequests(
  state: GatewayState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): void {
  const refusal = foreignOrigin(req);
  if (refusal) return sendProblem(res, refusal);
  const log = harLogOf(state);
  if (path === REQUESTS_PATH) {
    const url = new URL(req.url ?? '/', 'http://gw');
    const raw = url.searchParams.get('last') ?? '50';
    if (!/^\d+$/.test(raw)) {
      return sendProblem(
        res,
        new GatewayError('GW_BAD_REQUEST', `last=${raw} is not a count of requests`, {
          hint: `Ask for ${REQUESTS_PATH}?last=50 (a whole number up to ${KEPT_REQUESTS}).`,
        }),
      );
    }
    const recent = [...(log?.recent(Math.min(Number(raw), KEPT_REQUESTS)) ?? [])].reverse();
    const store = inspectStoreOf(state);
    return sendJson(res, 200, {
      bodies: {
        keptBytes: store.keptBytes,
        keptRequests: store.keptRequests,
        maxTotalBytes: store.maxTotalBytes,
        maxBodyBytes: store.maxBodyBytes,
      },
      requests: recent.map((event) => ({
        id: event.id,
        at: new Date(event.at).toISOString(),
        method: event.method,
        path: event.path,
        status: event.status,
        durationMs: Math.round(event.durationMs * 100) / 100,
        routeId: event.routeId,
        requestBytes: event.bodies?.request.size,
        answerBytes: event.bodies?.answer.size,
      })),
    });
  }
  const id = decodeId(path.slice(REQUESTS_PATH.length + 1));
  // Ids are the client's X-Request-Id when it sent a valid one, so they may repeat: the latest wins.
  const event = log?.recent(KEPT_REQUESTS).findLast((candidate) => candidate.id === id);
  if (!event) {
    return sendProblem(
      res,
      new GatewayError('GW_ROUTE_NOT_FOUND', `No kept request has id ${id}`, {
        hint: `List the kept requests with ${REQUESTS_PATH}; only the last ${KEPT_REQUESTS} are kept.`,
      }),
    );
  }
  sendJson(res, 200, viewRequest(event));
}

function decodeId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** An Origin other than gw's own (scheme and Host of this request): a page elsewhere asking. */
function foreignOrigin(req: IncomingMessage): GatewayError | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
  const own = `${secure ? 'https' : 'http'}://${req.headers.host ?? ''}`;
  if (origin.toLowerCase() === own.toLowerCase()) return undefined;
  return new GatewayError('GW_ORIGIN_NOT_ALLOWED', `Pages of ${origin} may not read ${REQUESTS_PATH}`, {
    hint: `Open ${own}${REQUESTS_PATH} directly, or use the dashboard or curl.`,
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value, null, 2);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
