import type { GatewayContext, Middleware, Next } from './types.js';

/**
 * Koa-style composition: each middleware gets `next` for the rest of the chain and the terminal
 * handler last. Calling next() twice is a bug in a policy, so it rejects loudly.
 */
export function compose(
  middlewares: readonly Middleware[],
  terminal: (ctx: GatewayContext) => Promise<void>,
) {
  if (middlewares.length === 0) return terminal;
  return function composed(ctx: GatewayContext): Promise<void> {
    let index = -1;
    const dispatch = (i: number): Promise<void> => {
      if (i <= index) return Promise.reject(new Error('next() called more than once in one middleware'));
      index = i;
      const middleware = middlewares[i];
      if (middleware === undefined) return terminal(ctx);
      const next: Next = () => dispatch(i + 1);
      try {
        return middleware(ctx, next);
      } catch (error) {
        return Promise.reject(error);
      }
    };
    return dispatch(0);
  };
}
