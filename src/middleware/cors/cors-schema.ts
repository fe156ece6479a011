import { z } from 'zod';
import { duration, headerName, httpMethod } from '../../config/fields.js';

const origin = z.union([z.string().min(1), z.instanceof(RegExp)]);

/** gw's own headers a page may want to read (request id for bug reports, cache and limit state). */
const gatewayHeaders = [
  'x-request-id',
  'x-cache',
  'age',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'retry-after',
];

const corsOptions = z
  .strictObject({
    origins: z
      .union([z.literal('*'), origin, z.array(origin).min(1)])
      .describe(
        "Allowed origins: '*', a list of exact origins (a '*' inside one matches any run, e.g. 'http://localhost:*'), or RegExps",
      ),
    credentials: z
      .boolean()
      .default(false)
      .describe('Allow cookies and Authorization (Access-Control-Allow-Credentials)'),
    methods: z
      .array(httpMethod)
      .min(1)
      .default(['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'])
      .describe('Methods a preflight may ask for'),
    headers: z
      .array(headerName)
      .optional()
      .describe('Request headers a preflight may ask for (default: whatever it asks)'),
    exposeHeaders: z
      .array(headerName)
      .default(gatewayHeaders)
      .describe("Response headers the page may read (default: gw's own, e.g. x-request-id and x-cache)"),
    maxAge: duration
      .default(600_000)
      .describe("How long a browser may reuse a preflight answer (default '10m')"),
  })
  .refine((cors) => !(cors.credentials && cors.origins === '*'), {
    message:
      "credentials cannot be combined with origins: '*' (browsers refuse it); list the origins or use a RegExp",
    path: ['origins'],
  });

export const corsSchema = z
  .union([z.literal(false), corsOptions])
  .describe('Cross-origin access for browsers; false on a route turns the top-level setting off');

export type ResolvedCors = z.output<typeof corsOptions>;
