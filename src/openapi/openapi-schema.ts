import { z } from 'zod';

/** On a service: the OpenAPI document that describes its upstream paths (issue 16). */
export const openapiSpecSchema = z
  .string()
  .min(1)
  .describe(
    'OpenAPI 3.0 or 3.1 document of the service (YAML or JSON), relative to the config file; its paths are the upstream paths, after stripPrefix and rewrite',
  );

/** On a service: answer every route of the service from its OpenAPI document instead of targets. */
export const serviceMockSchema = z
  .literal('openapi')
  .describe(
    "'openapi': answer from the service's `openapi` document (examples, else schemas); no targets needed",
  );

/** On a route: what to check against the service's OpenAPI operation. */
export const validateSchema = z
  .strictObject({
    request: z
      .boolean()
      .default(false)
      .describe(
        'Check path params, query, headers, cookies and the JSON body before forwarding (400 GW_REQUEST_INVALID)',
      ),
    response: z
      .union([z.literal(false), z.enum(['warn', 'enforce'])])
      .default(false)
      .describe(
        "Check the upstream's status and JSON body: 'warn' serves it and notes the drift in the log, 'enforce' answers 502 GW_RESPONSE_INVALID",
      ),
  })
  .describe("Contract checks against the service's `openapi` document");

export type ValidateOptions = z.output<typeof validateSchema>;
