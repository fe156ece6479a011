import { z } from 'zod';
import { byteSize, fn, headerName } from '../../config/fields.js';
import type { GatewayContext } from '../../pipeline/types.js';

const headerValue = z.union([z.string(), z.array(z.string()).min(1)]);

export const headerRulesSchema = z
  .strictObject({
    remove: z.array(headerName).optional().describe('Headers to drop'),
    rename: z.record(headerName, headerName).optional().describe('Old name → new name (the value moves)'),
    set: z.record(headerName, headerValue).optional().describe('Headers to set, replacing any value'),
    add: z.record(headerName, headerValue).optional().describe('Values appended to what is there'),
  })
  .describe('Header rules, applied in the order remove, rename, set, add');

export type HeaderRules = z.output<typeof headerRulesSchema>;
const fieldPath = z.string().min(1).describe("A field name, or a dotted path such as 'user.email'");

export const fieldRulesSchema = z
  .strictObject({
    pick: z.array(fieldPath).min(1).optional().describe('Keep only these fields'),
    omit: z.array(fieldPath).min(1).optional().describe('Drop these fields'),
    rename: z
      .record(fieldPath, z.string().min(1))
      .optional()
      .describe('Old path → new name (at the same level)'),
  })
  .describe('Declarative JSON body edits for JSON/YAML configs, applied in the order pick, omit, rename');

export type FieldRules = z.output<typeof fieldRulesSchema>;
/**
 * A JSON body transform in a TS/JS config: gets the parsed body, returns the new one (or
 * undefined to keep the edited input). The body is `any` on purpose: a config writes
 * `(json) => ({ ...json, via: 'gw' })` or annotates its own type, and both must type-check.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BodyTransform = (body: any, ctx: GatewayContext) => unknown;

const bodyTransform = fn<BodyTransform>('(body, ctx) => newBody');

const side = z.strictObject({
  headers: headerRulesSchema.optional(),
  body: z
    .union([bodyTransform, fieldRulesSchema])
    .optional()
    .describe('A function (body, ctx) => body in a TS config, or { pick, omit, rename } for JSON bodies'),
});

/** `request: fn` is short for `request: { body: fn }`. */
const sideOrFunction = z
  .union([bodyTransform, side])
  .transform((value) => (typeof value === 'function' ? { body: value } : value));

export const transformSchema = z
  .strictObject({
    request: sideOrFunction.optional().describe('Edits to the request sent upstream'),
    response: sideOrFunction.optional().describe('Edits to the answer sent to the client'),
    maxBodySize: byteSize
      .default(1024 * 1024)
      .describe('Largest body a body transform buffers (requests above it get 413, upstream answers 502)'),
    maxInflatedSize: byteSize
      .default(10 * 1024 * 1024)
      .describe(
        'Largest a gzip/deflate/br body may grow to once decoded (never below maxBodySize); inflating stops ' +
          'there: requests get 413, upstream answers 502. Guards against decompression bombs',
      ),
  })
  .describe('Header rules and JSON body transforms on the way up and down');

export type ResolvedTransform = z.output<typeof transformSchema>;
export type TransformSide = NonNullable<ResolvedTransform['request']>;
