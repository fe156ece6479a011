import { IncomingMessage, ServerResponse, type IncomingHttpHeaders } from 'node:http';
import { Socket } from 'node:net';
import { configSchema, type GatewayConfigInput } from '../../src/config/schema.js';
import { createEventStream } from '../../src/events/event-stream.js';
import type { GatewayEvent } from '../../src/events/gateway-events.js';
import { compileRoute } from '../../src/pipeline/compile-route.js';
import { emptyForwardState } from '../../src/pipeline/forward-state.js';
import type { BuildContext, CompiledRoute, GatewayContext, Middleware } from '../../src/pipeline/types.js';
import type { UpstreamRegistry } from '../../src/proxy/upstream-types.js';
import type { GatewayState } from '../../src/state/types.js';

const noUpstreams: UpstreamRegistry = { get: () => undefined, pools: () => [], close: () => undefined };

export interface TestBuild {
  build: BuildContext;
  routes: CompiledRoute[];
  seen: GatewayEvent[];
}

/** A BuildContext over a parsed config and the given state, recording every event. */
export function createTestBuild(config: GatewayConfigInput, state: GatewayState): TestBuild {
  const resolved = configSchema.parse(config);
  const events = createEventStream();
  const seen: GatewayEvent[] = [];
  events.subscribe((event) => seen.push(event));
  const build: BuildContext = {
    config: resolved,
    configDir: state.stateDir,
    events,
    state,
    upstreams: noUpstreams,
  };
  return { build, routes: resolved.routes.map(compileRoute), seen };
}

export interface TestContextInput {
  route: CompiledRoute;
  headers?: IncomingHttpHeaders;
  method?: string;
  path?: string;
  clientIp?: string;
}

/** A GatewayContext over real (unconnected) node request and response objects. */
export function createTestContext(input: TestContextInput): GatewayContext {
  const req = new IncomingMessage(new Socket());
  req.method = input.method ?? 'GET';
  req.url = input.path ?? input.route.config.path;
  Object.assign(req.headers, input.headers ?? {});
  const res = new ServerResponse(req);
  const path = input.path ?? input.route.config.path;
  const outcome = {};
  return {
    id: 'req-1',
    req,
    res,
    method: req.method,
    route: input.route,
    path,
    search: '',
    params: {},
    clientIp: input.clientIp ?? '127.0.0.1',
    startedAt: performance.now(),
    upstreamPath: input.route.toUpstreamPath(path),
    upstreamHeaders: req.headers,
    responseHeaders: {},
    ...emptyForwardState(outcome),
    identity: undefined,
    timeoutMs: 30_000,
    outcome,
  };
}

/** Runs a middleware; returns whether it called next() and what it threw. */
export async function runMiddleware(
  middleware: Middleware,
  ctx: GatewayContext,
): Promise<{ passed: boolean; error?: unknown }> {
  let passed = false;
  try {
    await middleware(ctx, async () => {
      passed = true;
    });
    return { passed };
  } catch (error) {
    return { passed, error };
  }
}
