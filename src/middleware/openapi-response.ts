import { GatewayError } from '../errors.js';
import type { PolicyFactory } from '../pipeline/types.js';
import { answeredBy, bufferAnswer, markOutcome, onAnswerHead } from '../pipeline/hooks.js';
import { isJsonMediaType, matchOperation } from '../openapi/compile-spec.js';
import { specOfRoute } from '../openapi/spec-registry.js';
import { validateResponse } from '../openapi/validate-response.js';

/** JSON answers up to this size are buffered and their bodies checked; larger ones stream, checked by status only. */
const MAX_CHECKED_BODY = 1024 * 1024;

/**
 * `validate: { response: 'warn' | 'enforce' }` (issue 16, item 2): checks the upstream's status
 * and JSON body against the operation. 'warn' serves the answer and notes the drift in the
 * request's log line; 'enforce' answers 502 GW_RESPONSE_INVALID with the violations instead.
 */
export const createOpenapiResponsePolicy: PolicyFactory = (route, build) => {
  const mode = route.config.validate?.response;
  if (mode !== 'warn' && mode !== 'enforce') return undefined;
  const { spec } = specOfRoute(route, build, 'validate');
  return async function openapiResponse(ctx, next) {
    const match = matchOperation(spec, ctx.method, ctx.upstreamPath);
    // Requests outside the spec are request validation's to refuse; here they pass unchecked.
    if (ctx.upgrade || match.kind !== 'found') return next();
    const { operation } = match;
    let streamedStatus: number | undefined;
    bufferAnswer(ctx, {
      maxBytes: MAX_CHECKED_BODY,
      when: (_status, headers) => isJsonMediaType(String(headers['content-type'] ?? '')),
      overflow: 'stream',
    });
    onAnswerHead(ctx, (head) => {
      streamedStatus = head.status;
    });
    await next();
    const status = ctx.response?.status ?? streamedStatus;
    if (status === undefined) return;
    const violations = validateResponse(operation, status, ctx.response);
    if (violations.length === 0) return;
    const name = `${operation.method} ${operation.template}`;
    const summary = `the answer breaks ${name}: ${violations.map((v) => `${v.location} (${v.expected})`).join(', ')}`;
    // A streamed answer's head is already on its way: it can only be reported, never replaced.
    if (mode === 'warn' || ctx.response === undefined) {
      // The drift itself, for the JSON log line, the drift metric and the dashboard's marker.
      markOutcome(ctx, 'drift', { operation: name, violations });
      markOutcome(
        ctx,
        'reason',
        ctx.response === undefined ? `${summary}; streamed, checked by status only` : summary,
      );
      return;
    }
    ctx.response = undefined;
    const error = new GatewayError('GW_RESPONSE_INVALID', `The upstream's answer breaks ${name}`, {
      extensions: { operation: name, violations },
    });
    answeredBy(ctx, 'GW_RESPONSE_INVALID', summary);
    throw error;
  };
};
