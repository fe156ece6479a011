import { randomUUID } from 'node:crypto';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ResolvedConfig } from '../config/schema.js';
import { GatewayError, isGatewayError } from '../errors.js';
import type { EventStream } from '../events/event-stream.js';
import type { GatewayState } from '../state/types.js';
import type { Forwarder } from '../proxy/forwarder.js';
import { clientAddress, declaresBody, setForwardedHeaders, stripHopByHop } from '../proxy/forward-headers.js';
import { createUpstreamRegistry } from '../proxy/upstream-registry.js';
import type { UpstreamRegistry } from '../proxy/upstream-types.js';
import { compose } from './compose.js';
import { compileRoute } from './compile-route.js';
import { closestRoutes, createRouteTable, type RouteTable } from './match-route.js';
import { normalizePath, splitUrl } from './normalize-path.js';
import { policyOrder } from './policies.js';
import { sendProblem } from './problem.js';
import { createForward } from './forward.js';
import { handleAdmin, isAdminPath } from './admin.js';
import type { BuildContext, CompiledRoute, GatewayContext } from './types.js';
import { emitFinished } from './request-events.js';
import { sendBufferedResponse } from './send-response.js';
import { preflightMethod } from '../middleware/cors/preflight.js';
import { stripIdentityHeaders } from '../middleware/identity-headers.js';
import { compileAllowedHosts } from './allowed-hosts.js';

/** A gateway built from one config: immutable; the server swaps whole gateways on reload. */
export interface BuiltGateway {
  readonly config: ResolvedConfig;
  readonly routes: readonly CompiledRoute[];
  readonly table: RouteTable;
  readonly upstreams: UpstreamRegistry;
  /** The process's state (metrics and admin endpoints read it). */
  readonly state: GatewayState;
  handle(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Frees what the next gateway did not take over (health timers, agents). */
  close(): void;
}

export interface BuildOptions {
  events: EventStream;
  state: GatewayState;
  configDir: string;
  forwarder: Forwarder;
  /** The gateway this one replaces: upstream health and agents carry over. */
  previous?: BuiltGateway;
  /** The address the server binds when --host overrides config.host (allowedHosts admits it). */
  bindHost?: string;
}

type RouteHandler = (ctx: GatewayContext) => Promise<void>;

const validRequestId = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function buildGateway(config: ResolvedConfig, options: BuildOptions): BuiltGateway {
  const { events, forwarder } = options;
  const upstreams = createUpstreamRegistry(config.services, {
    events,
    previous: options.previous?.upstreams,
  });
  const routes = config.routes.map(compileRoute);
  const table = createRouteTable(routes);
  const allowedHosts = compileAllowedHosts(config, options.bindHost);
  const build: BuildContext = {
    allowedHosts,
    config,
    configDir: options.configDir,
    events,
    state: options.state,
    upstreams,
  };

  const handlers = new Map<CompiledRoute, RouteHandler>();
  for (const route of routes) {
    const middlewares = policyOrder.map((factory) => factory(route, build)).filter((m) => m !== undefined);
    const pool = route.config.service === undefined ? undefined : upstreams.get(route.config.service);
    handlers.set(route, compose(middlewares, createForward(route, pool, forwarder, build)));
  }

  /** Parses, normalises and matches a request; answers it and returns undefined when it cannot go on. */
  function createContext(
    req: IncomingMessage,
    res: ServerResponse,
    upgrade: GatewayContext['upgrade'],
  ): GatewayContext | undefined {
    const clientId = req.headers['x-request-id'];
    const id = typeof clientId === 'string' && validRequestId.test(clientId) ? clientId : randomUUID();
    const startedAt = performance.now();
    const method = req.method ?? 'GET';
    const { path: rawPath, search } = splitUrl(req.url ?? '/');
    // DNS rebinding guard, before anything else (admin endpoints and upgrades included).
    const hostRefusal = allowedHosts.check(req.headers.host);
    if (hostRefusal) {
      res.setHeader('x-request-id', id);
      sendProblem(res, hostRefusal, { requestId: id, instance: rawPath });
      finishWithoutRoute(events, res, { id, method, path: rawPath, startedAt, req, error: hostRefusal });
      return undefined;
    }
    const normalized = normalizePath(rawPath);
    if (!normalized.ok) {
      res.setHeader('x-request-id', id);
      const error = new GatewayError('GW_BAD_PATH', normalized.reason);
      sendProblem(res, error, { requestId: id, instance: rawPath });
      finishWithoutRoute(events, res, { id, method, path: rawPath, startedAt, req, error });
      return undefined;
    }
    const path = normalized.path;
    if (!upgrade && isAdminPath(path)) {
      handleAdmin(gateway, req, res, path);
      return undefined;
    }
    let result = table.match(method, path);
    // A CORS preflight asks about another method: it goes where that method would go.
    const asked = result.kind === 'method-not-allowed' ? preflightMethod(req) : undefined;
    if (asked !== undefined) result = table.match(asked, path);
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
      res.setHeader('x-request-id', id);
      sendProblem(res, error, { requestId: id, instance: path });
      finishWithoutRoute(events, res, { id, method, path, startedAt, req, error });
      return undefined;
    }
    const { route, params } = result.match;
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
      res.setHeader('x-request-id', id);
      sendProblem(res, error, { requestId: id, instance: path });
      finishWithoutRoute(events, res, { id, method, path, startedAt, req, error });
      return undefined;
    }
    const clientIp = clientAddress(req);
    const headers = req.headers;
    stripIdentityHeaders(headers);
    setForwardedHeaders(req, headers, clientIp);
    headers['x-request-id'] = id;
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
      upstreamHeaders: headers,
      responseHeaders: { 'x-request-id': id },
      responseHooks: [],
      identity: undefined,
      timeoutMs: route.config.timeout ?? upstreams.get(route.config.service ?? '')?.timeoutMs ?? 30_000,
      outcome: {},
      upgrade,
    };
    if (events.wants('request-started')) {
      events.emit({ type: 'request-started', at: Date.now(), id, method, path });
    }
    if (events.wants('request-finished')) {
      // A WebSocket is finished when its socket closes (its response is detached once upgraded).
      (upgrade ? upgrade.socket : res).on('close', () => emitFinished(events, ctx));
    }
    return ctx;
  }

  const gateway: BuiltGateway = {
    config,
    routes,
    table,
    upstreams,
    state: options.state,
    handle(req, res) {
      const ctx = createContext(req, res, undefined);
      if (!ctx) return;
      // Hop-by-hop headers stay out of the upstream request as the forwarder lists its headers.
      handlers.get(ctx.route)!(ctx).then(
        () => sendBufferedResponse(ctx),
        (error: unknown) => answerError(ctx, error),
      );
    },
    upgrade(req, socket, head) {
      // The upgrade runs the route's whole policy chain (auth, limits …) on a response bound to
      // the socket, so a refusal is a proper HTTP answer and a pass ends in the ws forward.
      socket.on('error', () => socket.destroy());
      const res = new ServerResponse(req);
      res.assignSocket(socket as Socket);
      res.shouldKeepAlive = false;
      // The server's own end-of-response handling is not wired to this response: close the socket
      // once a refusal is written, or it stays open (a pass detaches the socket before this fires).
      res.once('finish', () => socket.end());
      // Only WebSockets are proxied. Another Upgrade without a body (curl --http2 asks for h2c)
      // may be ignored (RFC 9110 §7.8): serve the plain HTTP/1.1 request it also is.
      if (!/\bwebsocket\b/i.test(req.headers.upgrade ?? '') && !declaresBody(req.headers)) {
        gateway.handle(req, res);
        return;
      }
      const ctx = createContext(req, res, { socket, head });
      if (!ctx) return;
      if (!ctx.route.config.websocket) {
        answerError(
          ctx,
          new GatewayError(
            'GW_UPGRADE_NOT_ALLOWED',
            `WebSocket upgrades are not enabled on route ${ctx.route.id}`,
          ),
        );
        return;
      }
      stripHopByHop(req.headers, true);
      handlers.get(ctx.route)!(ctx).catch((error: unknown) => answerError(ctx, error));
    },
    close() {
      upstreams.close();
    },
  };
  return gateway;
}

function answerError(ctx: GatewayContext, error: unknown): void {
  const gatewayError = isGatewayError(error)
    ? error
    : new GatewayError(
        'GW_INTERNAL',
        `Route ${ctx.route.id} failed: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
  if (!ctx.outcome.answeredBy && gatewayError.status < 500) ctx.outcome.answeredBy = gatewayError.code;
  ctx.outcome.reason ??= gatewayError.message;
  ctx.outcome.code = gatewayError.code;
  ctx.outcome.hint = gatewayError.hint;
  sendProblem(ctx.res, gatewayError, { requestId: ctx.id, instance: ctx.path, headers: ctx.responseHeaders });
}

function finishWithoutRoute(
  events: EventStream,
  res: ServerResponse,
  info: {
    id: string;
    method: string;
    path: string;
    startedAt: number;
    req: IncomingMessage;
    error: GatewayError;
  },
): void {
  if (!events.wants('request-finished')) return;
  events.emit({
    type: 'request-finished',
    id: info.id,
    at: Date.now(),
    method: info.method,
    path: info.path,
    status: res.statusCode,
    durationMs: performance.now() - info.startedAt,
    clientIp: clientAddress(info.req),
    outcome: { answeredBy: info.error.code, reason: info.error.message },
  });
}
