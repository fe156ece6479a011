import { GatewayError } from '../errors.js';
import type { GatewayContext, PolicyFactory } from '../pipeline/types.js';
import { answeredBy, replaceUpstreamBody } from '../pipeline/hooks.js';
import {
  matchOperation,
  isJsonMediaType,
  type CompiledSpec,
  type OperationMatch,
} from '../openapi/compile-spec.js';
import { specOfRoute } from '../openapi/spec-registry.js';
import { validateBody, validateParameters, type Violation } from '../openapi/validate-request.js';
import { hasRequestBody, readRequestBody } from './transform/read-body.js';
import { MAX_JSON_DEPTH, nestsDeeperThan, parseJson } from './transform/json-body.js';

/** Bodies read for validation on a route without bodyLimit stop here (the mock reads as much). */
const DEFAULT_MAX_BODY = 1024 * 1024;

/** The operation for this request, or the 404/405 the spec implies (issue 16: "as the spec implies"). */
export function operationOrRefuse(
  spec: CompiledSpec,
  ctx: GatewayContext,
): Extract<OperationMatch, { kind: 'found' }> {
  const match = matchOperation(spec, ctx.method, ctx.upstreamPath);
  if (match.kind === 'found') return match;
  const error =
    match.kind === 'no-path'
      ? new GatewayError(
          'GW_OPERATION_NOT_FOUND',
          `${ctx.method} ${ctx.upstreamPath}: no path of the spec matches`,
        )
      : new GatewayError(
          'GW_OPERATION_METHOD_NOT_ALLOWED',
          `${ctx.method} ${ctx.upstreamPath}: the spec lists ${match.allow.join(', ')} on this path`,
          { headers: { allow: match.allow.join(', ') } },
        );
  answeredBy(ctx, error.code, error.message);
  throw error;
}

/** Reads the body once (within bodyLimit), hands the same bytes upstream, and parses JSON. */
async function readBody(
  ctx: GatewayContext,
  maxBytes: number,
): Promise<{ present: boolean; value?: unknown; invalid?: Violation }> {
  if (!hasRequestBody(ctx)) return { present: false };
  const raw = await readRequestBody(ctx, maxBytes);
  replaceUpstreamBody(ctx, raw);
  if (!isJsonMediaType(ctx.req.headers['content-type'] ?? '')) return { present: true };
  if (nestsDeeperThan(raw, MAX_JSON_DEPTH)) {
    return {
      present: true,
      invalid: { location: 'body', expected: `JSON nested at most ${MAX_JSON_DEPTH} deep` },
    };
  }
  const parsed = parseJson(raw);
  return parsed.ok
    ? { present: true, value: parsed.value }
    : { present: true, invalid: { location: 'body', expected: `valid JSON (${parsed.message})` } };
}

/**
 * `validate: { request: true }`: checks the request against the service's OpenAPI operation
 * before it goes upstream (or to the spec's mock) and refuses it with every violation at once.
 */
export const createOpenapiValidatePolicy: PolicyFactory = (route, build) => {
  if (route.config.validate?.request !== true) return undefined;
  const { spec } = specOfRoute(route, build, 'validate');
  const maxBody = route.config.bodyLimit ?? DEFAULT_MAX_BODY;
  return async function openapiValidate(ctx, next) {
    if (ctx.upgrade) return next();
    const { operation, pathParams } = operationOrRefuse(spec, ctx);
    const violations = validateParameters(ctx, operation, pathParams);
    const body = operation.body || hasRequestBody(ctx) ? await readBody(ctx, maxBody) : { present: false };
    if (body.invalid) violations.push(body.invalid);
    else violations.push(...validateBody(operation, ctx.req.headers['content-type'], body));
    if (violations.length > 0) {
      const name = `${operation.method} ${operation.template}`;
      const error = new GatewayError(
        'GW_REQUEST_INVALID',
        `The request breaks ${name} in ${violations.length} place${violations.length === 1 ? '' : 's'}: ${violations.map((v) => v.location).join(', ')}`,
        { extensions: { operation: name, violations } },
      );
      answeredBy(ctx, 'GW_REQUEST_INVALID', error.message);
      throw error;
    }
    await next();
  };
};
