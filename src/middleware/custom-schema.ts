import { z } from 'zod';
import { fn } from '../config/fields.js';
import type { Middleware } from '../api/middleware-context.js';

/** `use: [...]`: the route's own middlewares (docs/middleware-api.md), from a TS or JS config. */
export const useSchema = z
  .array(fn<Middleware>('(c, next) => Promise<void>'))
  .describe('Your own middlewares for this route, run in order after auth and rate limits');
