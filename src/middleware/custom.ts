import { GatewayError, isGatewayError } from '../errors.js';
import type { Next, PolicyFactory } from '../pipeline/types.js';
import { createPublicRoute, PublicContext } from '../pipeline/public-context.js';
import { sendBufferedResponse } from '../pipeline/send-response.js';

/** Errors from the rest of the route (gw's policies, the upstream): passed on, never blamed on `use`. */
const fromRestOfRoute = new WeakSet<object>();

function blame(error: unknown, label: string, routeId: string): unknown {
  if (isGatewayError(error) || (typeof error === 'object' && error !== null && fromRestOfRoute.has(error)))
    return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError('GW_INTERNAL', `Middleware ${label} on route ${routeId} threw: ${message}`, {
    cause: error,
    hint: 'Fix that middleware in the config, or throw a GatewayError to answer with a chosen code.',
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

  return async function customMiddlewares(ctx, next) {
    const c = new PublicContext(ctx, publicRoute);

    const restOfRoute = async (): Promise<void> => {
      try {
        await next();
      } catch (error) {
        if (typeof error === 'object' && error !== null) fromRestOfRoute.add(error);
        throw error;
      }
      PublicContext.finishAnswer(c);
    };

    const run = async (i: number): Promise<void> => {
      if (i === list.length) return restOfRoute();
      const label = labels[i]!;
      let called = false;
      const nextOne: Next = () => {
        if (called) return Promise.reject(new Error('next() was called more than once'));
        if (PublicContext.responded(c)) return Promise.reject(new Error('next() was called after respond()'));
        called = true;
        const rest = run(i + 1);
        // A next() nobody awaits must not take the process down with an unhandled rejection.
        rest.catch(() => {});
        return rest;
      };
      PublicContext.enter(c, label);
      try {
        await list[i]!(c, nextOne);
      } catch (error) {
        throw blame(error, label, route.id);
      }
      if (called) return;
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
      ctx.outcome.answeredBy = 'use';
      ctx.outcome.reason = `${label} answered ${ctx.response?.status ?? ''}`;
      PublicContext.finishAnswer(c);
    };

    await run(0);
    // An upgrade request's chain writes no buffered answer on its own: write the middleware's.
    if (ctx.upgrade && PublicContext.responded(c)) sendBufferedResponse(ctx);
  };
};
