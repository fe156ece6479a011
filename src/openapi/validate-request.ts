import type { ErrorObject, ValidateFunction } from 'ajv';
import type { GatewayContext } from '../pipeline/types.js';
import type { CompiledOperation, ParamLocation } from './compile-spec.js';
import { isJsonMediaType } from './compile-spec.js';

/** One way the request breaks the spec: where (`query/limit`, `body/items/0/qty`) and what was expected. */
export interface Violation {
  location: string;
  expected: string;
}

function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .filter((part) => part !== '')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('/');
}

export function violationsOf(prefix: string, errors: readonly ErrorObject[] | null | undefined): Violation[] {
  return (errors ?? []).map((error) => {
    const missing = error.keyword === 'required' ? String(error.params.missingProperty) : undefined;
    const at = [prefix, pointerToPath(error.instancePath), missing].filter((part) => part).join('/');
    const detail =
      error.keyword === 'enum'
        ? `one of ${JSON.stringify(error.params.allowedValues)}`
        : missing !== undefined
          ? 'present (required)'
          : (error.message ?? error.keyword).replace(/^must (be )?/, '');
    return { location: at, expected: detail };
  });
}

function cookiesOf(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const pair of (header ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0) cookies[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return cookies;
}

function queryOf(search: string, arrays: ReadonlySet<string>): Record<string, string | string[]> {
  const values: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(search)) {
    const seen = values[name];
    if (arrays.has(name)) values[name] = Array.isArray(seen) ? [...seen, value] : [value];
    else values[name] ??= value;
  }
  return values;
}

function run(validate: ValidateFunction, prefix: string, data: Record<string, unknown>): Violation[] {
  return validate(data) ? [] : violationsOf(prefix, validate.errors);
}

/**
 * Checks path params, query, headers and cookies against the operation. Values are the raw
 * strings, coerced to the schema's types ('5' passes `integer`) as OpenAPI's simple style allows.
 */
export function validateParameters(
  ctx: GatewayContext,
  operation: CompiledOperation,
  pathParams: Record<string, string>,
): Violation[] {
  const sources: Record<ParamLocation, () => Record<string, unknown>> = {
    path: () => ({ ...pathParams }),
    query: () => queryOf(ctx.search, operation.arrayQuery),
    header: () => ({ ...ctx.req.headers }),
    cookie: () => cookiesOf(ctx.req.headers.cookie),
  };
  const violations: Violation[] = [];
  for (const [location, validate] of operation.params)
    violations.push(...run(validate, location, sources[location]()));
  return violations;
}

/** Checks the body's media type and, for JSON, its parsed value (`undefined` when there is none). */
export function validateBody(
  operation: CompiledOperation,
  contentType: string | undefined,
  body: { present: boolean; value?: unknown },
): Violation[] {
  const spec = operation.body;
  if (!spec) return [];
  if (!body.present)
    return spec.required ? [{ location: 'body', expected: 'a request body (required)' }] : [];
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const known = spec.types.some(
    (listed) =>
      listed === '*/*' ||
      listed.split(';')[0]!.toLowerCase() === type ||
      (listed.endsWith('/*') && type.startsWith(listed.slice(0, -1))),
  );
  if (!known) return [{ location: 'header/content-type', expected: `one of ${spec.types.join(', ')}` }];
  if (!spec.json || !isJsonMediaType(type)) return [];
  return spec.json(body.value) ? [] : violationsOf('body', spec.json.errors);
}
