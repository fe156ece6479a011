import type { EventStream } from '../events/event-stream.js';
import type { GatewayContext } from './types.js';
import { bodyTap, sentHeaders } from './hooks.js';
import { redactHeaders, redactQuery } from '../events/redact.js';
import { grpcStatusSent } from '../protocols/grpc/grpc-outcome.js';

/** Emits request-finished once the client response is done (finished or aborted). */
export function emitFinished(events: EventStream, ctx: GatewayContext): void {
  const { res } = ctx;
  const requestHeaders = ctx.upstreamHeaders;
  const responseHeaders = sentHeaders(ctx) ?? res.getHeaders();
  events.emit({
    type: 'request-finished',
    id: ctx.id,
    at: Date.now(),
    method: ctx.method,
    // Credentials in the query, Cookie and Authorization reach every reader redacted.
    path: ctx.search === '' ? ctx.path : redactQuery(ctx.path + ctx.search),
    // An upgrade the policies passed never writes on `res`: the forward set its status.
    status: res.headersSent || (ctx.upgrade && ctx.target !== undefined) ? res.statusCode : 499,
    durationMs: performance.now() - ctx.startedAt,
    upstreamMs: ctx.upstreamMs,
    routeId: ctx.route.id,
    service: ctx.route.config.service,
    target: ctx.target,
    upstreamUrl: ctx.upstreamUrl === undefined ? undefined : redactQuery(ctx.upstreamUrl),
    clientIp: ctx.clientIp,
    httpVersion: ctx.req.httpVersion,
    caller: ctx.identity?.name,
    grpcStatus: grpcStatusSent(res),
    traceId: ctx.trace?.traceId,
    outcome: ctx.outcome,
    bodies: bodyTap(ctx),
    // Redacted when read (only the dashboard's detail does): nothing to pay per request.
    get requestHeaders() {
      return redactHeaders(requestHeaders);
    },
    get responseHeaders() {
      return redactHeaders(responseHeaders);
    },
  });
}
