import type { PolicyFactory } from '../../pipeline/types.js';
import { tapBodies } from '../../pipeline/hooks.js';
import { BodyCapture } from './body-capture.js';
import { inspectStoreOf } from './inspect-store.js';

/**
 * Gives each request a body capture when inspect.bodies is on (issue 17, item 1): the forward
 * shows it the chunks it sends and relays, and the inspect store keeps it once the request is
 * done. Off, the factory returns nothing and no request pays for it.
 */
export const createInspectPolicy: PolicyFactory = (_route, build) => {
  const limits = inspectStoreOf(build.state).configure(build.config.inspect, build.events);
  if (!limits) return undefined;
  return function inspectBodies(ctx, next) {
    // An upgraded connection is a byte stream both ways, not a body.
    if (ctx.upgrade === undefined) tapBodies(ctx, new BodyCapture(ctx.req, limits));
    return next();
  };
};
