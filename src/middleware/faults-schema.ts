import { z } from 'zod';
import { duration } from '../config/fields.js';

export const faultsSchema = z
  .strictObject({
    latency: z
      .union([duration, z.tuple([duration, duration])])
      .optional()
      .describe("Added delay: '200ms', or ['100ms', '500ms'] for a uniform pick in that range"),
    errorRate: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('Share of requests answered with errorStatus (0 … 1)'),
    errorStatus: z
      .number()
      .int()
      .min(400)
      .max(599)
      .default(503)
      .describe('Status of injected errors (default 503)'),
  })
  .refine((f) => !Array.isArray(f.latency) || f.latency[0] <= f.latency[1], {
    message: 'latency range: the first value must not exceed the second',
    path: ['latency'],
  })
  .describe('Fault injection for local development: slow or flaky answers on purpose');
