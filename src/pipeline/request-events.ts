import type { EventStream } from '../events/event-stream.js';
import type { InspectedBodies, RequestFinished, RequestOutcome } from '../events/gateway-events.js';
import type { GatewayContext } from './types.js';
import { bodyTap, sentHeaders } from './hooks.js';
import { redactHeaders, redactQuery } from '../events/redact.js';
import { grpcStatusSent } from '../protocols/grpc/grpc-outcome.js';

type RequestHeaders = NonNullable<RequestFinished['requestHeaders']>;
type ResponseHeaders = NonNullable<RequestFinished['responseHeaders']>;

/**
 * One finished request, built for every request. A class, not an object literal with getters: a
 * literal with accessors costs two closures and their context per request (about 1.2 KB of
 * garbage) and gives every event its own dictionary-like shape, which slowed each reader's
 * property reads (log line, metrics, HAR). Here the shape is one and the getters live on the
 * prototype. The headers are redacted when read: only the detail view and exports read them.
 */
class FinishedRequest implements RequestFinished {
  readonly type = 'request-finished';
  readonly at = Date.now();
  readonly id: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly upstreamMs: number | undefined;
  readonly routeId: string;
  readonly service: string | undefined;
  readonly target: string | undefined;
  readonly upstreamUrl: string | undefined;
  readonly clientIp: string;
  readonly httpVersion: string;
  readonly caller: string | undefined;
  readonly grpcStatus: string | undefined;
  readonly traceId: string | undefined;
  readonly outcome: RequestOutcome;
  readonly bodies: InspectedBodies | undefined;
  readonly #requestHeaders: RequestHeaders;
  readonly #responseHeaders: ResponseHeaders;

  constructor(ctx: GatewayContext) {
    const { res } = ctx;
    this.id = ctx.id;
    this.method = ctx.method;
    // Credentials in the query, Cookie and Authorization reach every reader redacted.
    this.path = ctx.search === '' ? ctx.path : redactQuery(ctx.path + ctx.search);
    // An upgrade the policies passed never writes on `res`: the forward set its status.
    this.status = res.headersSent || (ctx.upgrade && ctx.target !== undefined) ? res.statusCode : 499;
    this.durationMs = performance.now() - ctx.startedAt;
    this.upstreamMs = ctx.upstreamMs;
    this.routeId = ctx.route.id;
    this.service = ctx.route.config.service;
    this.target = ctx.target;
    this.upstreamUrl = ctx.upstreamUrl === undefined ? undefined : redactQuery(ctx.upstreamUrl);
    this.clientIp = ctx.clientIp;
    this.httpVersion = ctx.req.httpVersion;
    this.caller = ctx.identity?.name;
    this.grpcStatus = grpcStatusSent(res);
    this.traceId = ctx.trace?.traceId;
    this.outcome = ctx.outcome;
    this.bodies = bodyTap(ctx);
    this.#requestHeaders = ctx.upstreamHeaders;
    this.#responseHeaders = sentHeaders(ctx) ?? res.getHeaders();
  }

  get requestHeaders(): RequestHeaders {
    return redactHeaders(this.#requestHeaders);
  }

  get responseHeaders(): ResponseHeaders {
    return redactHeaders(this.#responseHeaders);
  }

  /** Serialised (an event stream to a browser, a test), the headers come along, redacted. */
  toJSON(): RequestFinished {
    return { ...this, requestHeaders: this.requestHeaders, responseHeaders: this.responseHeaders };
  }
}

/** Emits request-finished once the client response is done (finished or aborted). */
export function emitFinished(events: EventStream, ctx: GatewayContext): void {
  events.emit(new FinishedRequest(ctx));
}
