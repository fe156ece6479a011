import { z } from 'zod';
import { duration, fn, httpMethod } from '../config/fields.js';
import type { GatewayContext } from '../pipeline/types.js';

const partSchema = z.strictObject({
  service: z.string().describe('The service that answers this part (through its balancer and breakers)'),
  path: z
    .string()
    .startsWith('/')
    .describe("Path and query on the service; ':name' takes the route parameter of that name"),
  method: httpMethod.default('GET').describe('HTTP method of the call (default GET)'),
  required: z
    .boolean()
    .default(false)
    .describe('When this part fails, the whole answer fails (502, or 504 when it timed out)'),
  timeout: duration.optional().describe("This part's own time limit, within the route's `timeout`"),
});

const partsSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9_$-]+$/, { message: 'expected a part name of letters, digits, _ $ or -' }),
    partSchema,
  )
  .refine((parts) => Object.keys(parts).length > 0, { message: 'an aggregate needs at least one part' });

/** The answer parts by name: the part's JSON (or text), or `{ error: { status, title } }`. */
export type AggregateResults = Record<string, unknown>;
export type AggregateMerge = (results: AggregateResults, ctx: GatewayContext) => unknown;

export const aggregateSchema = z
  .union([
    partsSchema.transform((parts) => ({ parts, merge: undefined as AggregateMerge | undefined })),
    z.strictObject({
      parts: partsSchema,
      merge: fn<AggregateMerge>('(results, ctx) => body')
        .optional()
        .describe('Shapes the answer from the results (TS/JS configs)'),
    }),
  ])
  .describe('Answer from several services at once: { name: { service, path } } or { parts, merge }');

export type ResolvedAggregate = z.output<typeof aggregateSchema>;
export type ResolvedAggregatePart = z.output<typeof partSchema>;
