import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ResolvedConfig } from '../config/schema.js';
import { GatewayError, isGatewayError } from '../errors.js';
import type { EventStream } from '../events/event-stream.js';
import type { GatewayState } from '../state/types.js';
import { keepRequestsForHar } from '../observe/har-log.js';
import type { Forwarder } from '../proxy/forwarder.js';
import { stripHopByHop } from '../proxy/forward-headers.js';
import { createUpstreamRegistry } from '../proxy/upstream-registry.js';
import type { UpstreamRegistry } from '../proxy/upstream-types.js';
import { compose } from './compose.js';
import { compileRoute } from './compile-route.js';
import { createRouteTable, type RouteTable } from './match-route.js';
import { policyOrder } from './policies.js';
import { sendProblem } from './problem.js';
import { createForward } from './forward.js';
import { handleAdmin } from './admin.js';
import type { BuildContext, CompiledRoute, GatewayContext } from './types.js';
import { answeredWithError } from './hooks.js';
import { sendBufferedResponse } from './send-response.js';
import { compileAllowedHosts } from './allowed-hosts.js';
import { createIntake } from './intake/create-context.js';
import { classifyUpgrade } from './intake/upgrade-request.js';
import { tracePolicy } from '../observe/trace/pipeline-spans.js';
import type { SpanTracer } from '../observe/trace/span-types.js';

/** A gateway built from one config: immutable; the server swaps whole gateways on reload. */
export interface BuiltGateway {
  readonly config: ResolvedConfig;
  readonly routes: readonly CompiledRoute[];
  readonly table: RouteTable;
  readonly upstreams: UpstreamRegistry;
  /** The process's state (metrics and admin endpoints read it). */
  readonly state: GatewayState;
  /** What this gateway was built from (the OpenAPI export reads the config and its specs). */
  readonly buildContext: BuildContext;
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
  /** Exports spans (src/observe/trace/); undefined without `telemetry`. */
  tracer?: SpanTracer;
}

type RouteHandler = (ctx: GatewayContext) => Promise<void>;

export function buildGateway(config: ResolvedConfig, options: BuildOptions): BuiltGateway {
  const { events, forwarder } = options;
  // The last requests for /__gw/har (issue 17): kept once per process, across reloads.
  keepRequestsForHar(events, options.state);
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
    tracer: options.tracer,
  };

  const handlers = new Map<CompiledRoute, RouteHandler>();
  for (const route of routes) {
    const middlewares = policyOrder
      .map((factory) => tracePolicy(factory, factory(route, build), options.tracer))
      .filter((m) => m !== undefined);
    const pool = route.config.service === undefined ? undefined : upstreams.get(route.config.service);
    handlers.set(route, compose(middlewares, createForward(route, pool, forwarder, build)));
  }

  const intake = createIntake({
    events,
    table,
    routes,
    upstreams,
    allowedHosts,
    tracer: options.tracer,
    admin: (req, res, path) => handleAdmin(gateway, req, res, path),
  });

  const gateway: BuiltGateway = {
    config,
    routes,
    table,
    upstreams,
    state: options.state,
    buildContext: build,
    handle(req, res) {
      const ctx = intake.createContext(req, res, undefined);
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
      const kind = classifyUpgrade(req);
      if (kind === 'plain') return gateway.handle(req, res);
      if (kind !== 'websocket') return intake.refuse(req, res, kind);
      const ctx = intake.createContext(req, res, { socket, head });
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
  answeredWithError(ctx, gatewayError);
  sendProblem(ctx.res, gatewayError, { requestId: ctx.id, instance: ctx.path, headers: ctx.responseHeaders });
}
