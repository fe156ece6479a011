import type { ErrorCode } from '../errors.js';
import type { GatewayContext, PolicyFactory } from '../pipeline/types.js';
import { answeredBy, markOutcome } from '../pipeline/hooks.js';
import { GatewayError, isGatewayError } from '../errors.js';
import type { CompiledSpec } from '../openapi/compile-spec.js';
import { specOfRoute } from '../openapi/spec-registry.js';
import { mockAnswer, parsePrefer } from '../openapi/mock-answer.js';
import { operationOrRefuse } from './openapi-validate.js';

/** Failures that mean "the service is down", which `fallback: 'openapi'` answers from the spec. */
const downCodes: ReadonlySet<ErrorCode> = new Set([
  'GW_NO_HEALTHY_TARGET',
  'GW_UPSTREAM_UNREACHABLE',
  'GW_CIRCUIT_OPEN',
]);

function answerFromSpec(ctx: GatewayContext, spec: CompiledSpec, reason: string): void {
  const { operation } = operationOrRefuse(spec, ctx);
  ctx.response = mockAnswer(operation, ctx.upstreamPath, parsePrefer(ctx.req.headers.prefer));
  markOutcome(ctx, 'mocked', true);
  answeredBy(ctx, 'mock', reason);
}

/**
 * Routes to a service with `mock: 'openapi'` are answered from its spec (issue 16, item 3):
 * the operation's examples, else values generated from its schemas; `Prefer: code=…` and
 * `Prefer: example=…` pick the response as Prism does. Request validation runs before this.
 * With `fallback: 'openapi'` the targets answer, and the spec only while they are down.
 */
export const createOpenapiMockPolicy: PolicyFactory = (route, build) => {
  const name = route.config.service;
  const service = name === undefined ? undefined : build.config.services[name];
  if (service?.mock !== 'openapi' && service?.fallback !== 'openapi') return undefined;
  const { spec } = specOfRoute(route, build, 'service');
  if (service.mock === 'openapi') {
    return async function openapiMock(ctx) {
      if (ctx.upgrade) {
        throw new GatewayError(
          'GW_UPGRADE_NOT_ALLOWED',
          `Service ${name} is mocked from its spec: a mock cannot answer a WebSocket upgrade`,
        );
      }
      answerFromSpec(ctx, spec, `service ${name} is mocked from ${spec.file}`);
    };
  }
  return async function openapiFallback(ctx, next) {
    try {
      await next();
    } catch (error) {
      if (ctx.upgrade || ctx.res.headersSent || !isGatewayError(error) || !downCodes.has(error.code))
        throw error;
      // A fallback answer is for the client; drop what the failed attempt may have left behind.
      ctx.response = undefined;
      answerFromSpec(ctx, spec, `${name} is down (${error.code}): answered from ${spec.file}`);
    }
  };
};
