import { z } from 'zod';
import { duration } from '../../config/fields.js';

export const circuitBreakerSchema = z
  .strictObject({
    failureThreshold: z
      .number()
      .int()
      .positive()
      .default(5)
      .describe('Failures in a row (connect error, timeout, 5xx) that open the breaker'),
    cooldown: duration
      .default(30_000)
      .describe('How long an open breaker refuses before it lets probes through'),
    halfOpenRequests: z
      .number()
      .int()
      .positive()
      .default(1)
      .describe('Probe requests after the cooldown; all must succeed to close it'),
    failureRatio: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe('Also open when this share of requests failed over `window`'),
    window: duration.default(10_000).describe('The window `failureRatio` is measured over'),
    minimumRequests: z
      .number()
      .int()
      .positive()
      .default(10)
      .describe('Requests needed in the window before `failureRatio` applies'),
  })
  .describe('A circuit breaker per target of the service');

export type ResolvedCircuitBreaker = z.output<typeof circuitBreakerSchema>;
