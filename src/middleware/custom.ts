import { z } from 'zod';
import { fn } from '../config/fields.js';
import type { GatewayContext, Middleware, Next, PolicyFactory } from '../pipeline/types.js';

/**
 * `use: [...]`: the route's own middlewares, from a TS or JS config, in the order written. They
 * run after gw's guards (identity headers, CORS, auth, rate limit, body limit), so they see the
 * verified caller, and before faults, mocks, cache and transform. A middleware may answer itself
 * (set ctx.response, or throw a GatewayError) or call next().
 */
export const useSchema = z
  .array(fn<Middleware>('(ctx, next) => Promise<void>'))
  .describe('Your own middlewares for this route, run in order after auth and rate limits');

export const createCustomPolicy: PolicyFactory = (route) => {
  const list = route.config.use;
  if (!list || list.length === 0) return undefined;
  return async function customMiddlewares(ctx: GatewayContext, next: Next): Promise<void> {
    let index = 0;
    const step = async (): Promise<void> => {
      const middleware = list[index++];
      return middleware ? middleware(ctx, step) : next();
    };
    return step();
  };
};
