import type { PolicyFactory } from './types.js';

/**
 * The order policies run in, for every route: one array a reader can see. Each entry is a
 * factory from src/middleware/ that returns undefined on routes where it has nothing to do, so
 * a route with no policies runs no policy code. Adding a policy: one module, one line here.
 */
export const policyOrder: readonly PolicyFactory[] = [];
