import type { EventStream } from '../events/event-stream.js';
import type { GatewayContext } from './types.js';
import { redactHeaders, redactQuery } from '../events/redact.js';

/** Emits request-finished once the client response is done (finished or aborted). */
export function emitFinished(events: EventStream, ctx: GatewayContext): void {
  const { res } = ctx;
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
    caller: ctx.identity?.name,
    outcome: ctx.outcome,
    requestHeaders: redactHeaders(ctx.upstreamHeaders),
    responseHeaders: ctx.sentHeaders ? redactHeaders(ctx.sentHeaders) : redactHeaders(res.getHeaders()),
  });
}
