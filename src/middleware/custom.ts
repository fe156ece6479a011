import { GatewayError, isGatewayError } from '../errors.js';
import type { GatewayContext, Next, PolicyFactory } from '../pipeline/types.js';
import { answeredBy } from '../pipeline/hooks.js';
import { createPublicRoute, PublicContext } from '../pipeline/public-context.js';
import { sendBufferedResponse } from '../pipeline/send-response.js';

/** Errors from the rest of the route (gw's policies, the upstream): passed on, never blamed on `use`. */
const fromRestOfRoute = new WeakSet<object>();

const ignore = (): void => {};

/** Marks an error of the rest of the route as such and passes it on. */
function passOn(error: unknown): never {
  if (typeof error === 'object' && error !== null) fromRestOfRoute.add(error);
  throw error;
}

function blame(error: unknown, label: string, routeId: string): unknown {
  if (isGatewayError(error) || (typeof error === 'object' && error !== null && fromRestOfRoute.has(error)))
    return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError('GW_INTERNAL', `Middleware ${label} on route ${routeId} threw: ${message}`, {
    cause: error,
    // A middleware written for the old shape (ctx.req, ctx.upstreamHeaders …) fails here first.
    hint: 'Fix that middleware in the config (what it gets: docs/middleware-api.md), or throw a GatewayError to answer with a chosen code.',
    extensions: { middleware: label },
  });
}

/**
 * `use: [...]`: the route's own middlewares, in the order written. They run after gw's guards
 * (CORS, auth, rate limit, body limit), so they see the verified caller, and before faults, mocks,
 * cache and transform (src/pipeline/policies.ts). They see the public context
 * (docs/middleware-api.md), never the internal one. A middleware calls next() or answers with
 * c.respond(); a GatewayError it throws is answered as is, anything else as 500 GW_INTERNAL naming
 * it.
 */
export const createCustomPolicy: PolicyFactory = (route) => {
  const list = route.config.use;
  if (!list || list.length === 0) return undefined;
  const publicRoute = createPublicRoute(route);
  const labels = list.map((middleware, i) =>
    middleware.name ? `use[${i}] (${middleware.name})` : `use[${i}]`,
  );

  /** A middleware returned without calling next(): it must have answered. */
  function afterTerminal(ctx: GatewayContext, c: PublicContext, label: string): void {
    if (!PublicContext.responded(c)) {
      throw new GatewayError(
        'GW_INTERNAL',
        `Middleware ${label} on route ${route.id} neither called next() nor answered`,
        {
          hint: 'Call `await next()` in that middleware, or answer with c.respond() / c.json().',
          extensions: { middleware: label },
        },
      );
    }
    answeredBy(ctx, 'use', `${label} answered ${ctx.response?.status ?? ''}`);
    PublicContext.finishAnswer(c);
  }

  // Promises rather than async functions: one fewer promise and microtask per step (hot path).
  return function customMiddlewares(ctx, next) {
    const c = new PublicContext(ctx, publicRoute);
    const run = (i: number): Promise<void> => {
      if (i === list.length) return next().then(() => PublicContext.finishAnswer(c), passOn);
      const label = labels[i]!;
      let called = false;
      const nextOne: Next = () => {
        if (called) return Promise.reject(new Error('next() was called more than once'));
        if (PublicContext.responded(c)) return Promise.reject(new Error('next() was called after respond()'));
        called = true;
        const rest = run(i + 1);
        // A next() nobody awaits must not take the process down with an unhandled rejection.
        rest.catch(ignore);
        return rest;
      };
      PublicContext.enter(c, label);
      let running: Promise<void>;
      try {
        running = Promise.resolve(list[i]!(c, nextOne));
      } catch (error) {
        return Promise.reject(blame(error, label, route.id));
      }
      return running.then(
        () => {
          if (!called) afterTerminal(ctx, c, label);
        },
        (error: unknown) => {
          throw blame(error, label, route.id);
        },
      );
    };
    const done = run(0);
    // An upgrade request's chain writes no buffered answer on its own: write the middleware's.
    if (!ctx.upgrade) return done;
    return done.then(() => {
      if (PublicContext.responded(c)) sendBufferedResponse(ctx);
    });
  };
};
