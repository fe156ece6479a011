import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../../errors.js';
import type { EventStream } from '../../events/event-stream.js';
import { preflightMethod } from '../../middleware/cors/preflight.js';
import { clientAddress } from '../../proxy/forward-headers.js';
import type { UpstreamRegistry } from '../../proxy/upstream-types.js';
import type { AllowedHosts } from '../allowed-hosts.js';
import { closestRoutes, type RouteTable } from '../match-route.js';
import { normalizePath, splitUrl } from '../normalize-path.js';
import { sendProblem } from '../problem.js';
import { emitFinished } from '../request-events.js';
import type { CompiledRoute, GatewayContext } from '../types.js';
import { BODY_TAP, BUFFERING, HEAD_EDITS, OUTCOME, SENT_HEADERS, UPSTREAM_BODY } from '../forward-state.js';
import type { RequestOutcome } from '../../events/gateway-events.js';
import { isAdminPath } from '../admin.js';
import { checkRequestHead } from './check-head.js';
import { prepareUpstreamHeaders } from './client-headers.js';
import { acceptAbsoluteForm } from './request-target.js';
import { endServerSpan, recordsServerSpan, traceRequest } from '../../observe/trace/pipeline-spans.js';
import type { SpanTracer } from '../../observe/trace/span-types.js';

export interface IntakeOptions {
  readonly events: EventStream;
  readonly table: RouteTable;
  readonly routes: readonly CompiledRoute[];
  readonly upstreams: UpstreamRegistry;
  readonly allowedHosts: AllowedHosts;
  /** Exports each request's span (telemetry on); the traceparent goes upstream either way. */
  readonly tracer?: SpanTracer;
  /** Answers a request for one of the gateway's own endpoints (/__gw/…). */
  readonly admin: (req: IncomingMessage, res: ServerResponse, path: string) => void;
}

/** Where every request enters a built gateway, HTTP and upgrade alike. */
export interface Intake {
  /** Checks, normalises and matches a request; answers it and returns undefined when it cannot go on. */
  createContext(
    req: IncomingMessage,
    res: ServerResponse,
    upgrade: GatewayContext['upgrade'],
  ): GatewayContext | undefined;
  /** Answers a request refused before it reached a route (reported like any finished request). */
  refuse(req: IncomingMessage, res: ServerResponse, error: GatewayError): void;
}

const validRequestId = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
const withUserInfo = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i;

/** TRACE echoes the request, cookies and credentials included (the Cross-Site Tracing class). */
const allowedWithoutTrace = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

function requestIdOf(req: IncomingMessage): string {
  const clientId = req.headers['x-request-id'];
  return typeof clientId === 'string' && validRequestId.test(clientId) ? clientId : randomUUID();
}

export function createIntake(options: IntakeOptions): Intake {
  const { events, table, routes, upstreams, allowedHosts } = options;

  function answerEarly(
    req: IncomingMessage,
    res: ServerResponse,
    info: { id: string; method: string; path: string; startedAt: number },
    error: GatewayError,
  ): undefined {
    res.setHeader('x-request-id', info.id);
    sendProblem(res, error, { requestId: info.id, instance: info.path });
    if (events.wants('request-finished')) {
      events.emit({
        type: 'request-finished',
        id: info.id,
        at: Date.now(),
        method: info.method,
        path: info.path,
        status: res.statusCode,
        durationMs: performance.now() - info.startedAt,
        clientIp: clientAddress(req),
        httpVersion: req.httpVersion,
        outcome: { answeredBy: error.code, reason: error.message, code: error.code, hint: error.hint },
      });
    }
    return undefined;
  }

  function createContext(
    req: IncomingMessage,
    res: ServerResponse,
    upgrade: GatewayContext['upgrade'],
  ): GatewayContext | undefined {
    const id = requestIdOf(req);
    const startedAt = performance.now();
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    // The head first (Host, duplicates, codings), then the target, whose authority may replace
    // Host; Host is final from here on, so the DNS-rebinding guard judges the one used.
    const refusal =
      checkRequestHead(req) ??
      (target.charCodeAt(0) === 47 /* / */ ? undefined : acceptAbsoluteForm(req, target)) ??
      allowedHosts.check(req.headers.host);
    if (refusal) {
      // Credentials in a target's user info stay out of the answer and the logs.
      const shown = target.replace(withUserInfo, '$1');
      return answerEarly(req, res, { id, method, path: shown, startedAt }, refusal);
    }
    const { path: rawPath, search } = splitUrl(req.url ?? '/');
    const normalized = normalizePath(rawPath);
    if (!normalized.ok) {
      const error = new GatewayError('GW_BAD_PATH', normalized.reason);
      return answerEarly(req, res, { id, method, path: rawPath, startedAt }, error);
    }
    const path = normalized.path;
    if (!upgrade && isAdminPath(path)) {
      options.admin(req, res, path);
      return undefined;
    }
    // Routes with `host` match the Host header, checked above.
    const host = req.headers.host;
    let result = table.match(method, path, host);
    // A CORS preflight asks about another method: it goes where that method would go.
    const asked = result.kind === 'method-not-allowed' ? preflightMethod(req) : undefined;
    if (asked !== undefined) result = table.match(asked, path, host);
    if (result.kind !== 'matched') {
      const closest = result.kind === 'not-found' ? closestRoutes(routes, path) : [];
      const error =
        result.kind === 'method-not-allowed'
          ? new GatewayError('GW_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`, {
              headers: { allow: result.allowed.join(', ') },
              extensions: { allowed: result.allowed },
            })
          : new GatewayError('GW_ROUTE_NOT_FOUND', `No route matches ${method} ${path}`, {
              extensions: { closest },
              hint: `Closest routes: ${closest.join(', ') || '(none)'} — run \`gw routes list\``,
            });
      return answerEarly(req, res, { id, method, path, startedAt }, error);
    }
    const { route, params } = result.match;
    // A route open to every method is not open to TRACE: it reflects the request back, credentials
    // included (RFC 9110 §9.3.8). A route that lists TRACE in `methods` forwards it.
    if (method === 'TRACE' && route.methods === undefined) {
      const error = new GatewayError('GW_METHOD_NOT_ALLOWED', `TRACE is not allowed on ${path}`, {
        headers: { allow: allowedWithoutTrace },
        extensions: { allowed: allowedWithoutTrace.split(', ') },
        hint: "List 'TRACE' in the route's methods to forward it.",
      });
      return answerEarly(req, res, { id, method, path, startedAt }, error);
    }
    let upstreamPath: string;
    try {
      upstreamPath = route.toUpstreamPath(path);
    } catch (cause) {
      // A rewrite function from the config threw: answer 500 instead of crashing the process.
      const reason = cause instanceof Error ? cause.message : String(cause);
      const error = new GatewayError('GW_INTERNAL', `The rewrite of route ${route.id} threw: ${reason}`, {
        cause,
        hint: 'Fix the rewrite function of this route in the config.',
      });
      return answerEarly(req, res, { id, method, path, startedAt }, error);
    }
    const clientIp = clientAddress(req);
    prepareUpstreamHeaders(req, clientIp, id, upgrade !== undefined);
    // After the client's Connection options went: W3C traceparent/tracestate (issue 17, item 4).
    const trace = traceRequest(req, id, route, path, search, clientIp, options.tracer);
    const outcome: RequestOutcome = {};
    const ctx: GatewayContext = {
      id,
      req,
      res,
      method,
      route,
      path,
      search,
      params,
      clientIp,
      startedAt,
      upstreamPath,
      upstreamHeaders: req.headers,
      responseHeaders: { 'x-request-id': id },
      [HEAD_EDITS]: undefined,
      [UPSTREAM_BODY]: undefined,
      [BUFFERING]: undefined,
      [SENT_HEADERS]: undefined,
      [BODY_TAP]: undefined,
      [OUTCOME]: outcome,
      identity: undefined,
      timeoutMs: route.config.timeout ?? upstreams.get(route.config.service ?? '')?.timeoutMs ?? 30_000,
      outcome,
      upgrade,
      trace,
    };
    if (events.wants('request-started')) {
      events.emit({ type: 'request-started', at: Date.now(), id, method, path });
    }
    // One 'close' listener ends the span and reports the request (a WebSocket is finished when
    // its socket closes: its response is detached once upgraded). 'close' comes once: `on` spares
    // once()'s wrapper.
    const traced = recordsServerSpan(ctx);
    const reported = events.wants('request-finished');
    if (traced || reported) {
      (upgrade ? upgrade.socket : res).on('close', () => {
        if (traced) endServerSpan(ctx);
        if (reported) emitFinished(events, ctx);
      });
    }
    return ctx;
  }

  return {
    createContext,
    refuse(req, res, error) {
      answerEarly(
        req,
        res,
        {
          id: requestIdOf(req),
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          startedAt: performance.now(),
        },
        error,
      );
    },
  };
}
