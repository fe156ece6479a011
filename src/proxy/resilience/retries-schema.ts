import { z } from 'zod';
import { duration } from '../../config/fields.js';

export const retriesSchema = z
  .strictObject({
    attempts: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(2)
      .describe('Retries after the first try (2 → at most 3 tries)'),
    backoff: duration
      .default(25)
      .describe('Wait before the first retry; it doubles for each next one (with jitter)'),
    budget: z
      .strictObject({
        ratio: z
          .number()
          .min(0)
          .max(1)
          .default(0.2)
          .describe("Retries allowed as a share of the service's requests over the window"),
        minRetries: z
          .number()
          .int()
          .min(0)
          .default(10)
          .describe('Retries allowed per window however few requests there were'),
        window: duration.default(10_000).describe('The window the budget is counted over'),
      })
      .prefault({})
      .describe('Caps retries so that they cannot multiply an outage'),
  })
  .describe(
    'Retries of idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE) on connect errors, 502 and 503',
  );

export type ResolvedRetries = z.output<typeof retriesSchema>;
