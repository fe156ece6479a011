import type { PolicyFactory } from '../pipeline/types.js';
import { answeredBy, markOutcome } from '../pipeline/hooks.js';
import { GatewayError } from '../errors.js';
import { specOfRoute } from '../openapi/spec-registry.js';
import { mockAnswer, parsePrefer } from '../openapi/mock-answer.js';
import { operationOrRefuse } from './openapi-validate.js';

/**
 * Routes to a service with `mock: 'openapi'` are answered from its spec (issue 16, item 3):
 * the operation's examples, else values generated from its schemas; `Prefer: code=…` and
 * `Prefer: example=…` pick the response as Prism does. Request validation runs before this.
 */
export const createOpenapiMockPolicy: PolicyFactory = (route, build) => {
  const name = route.config.service;
  if (name === undefined || build.config.services[name]?.mock !== 'openapi') return undefined;
  const { spec } = specOfRoute(route, build, 'service');
  return async function openapiMock(ctx) {
    if (ctx.upgrade) {
      throw new GatewayError(
        'GW_UPGRADE_NOT_ALLOWED',
        `Service ${name} is mocked from its spec: a mock cannot answer a WebSocket upgrade`,
      );
    }
    const { operation } = operationOrRefuse(spec, ctx);
    ctx.response = mockAnswer(operation, ctx.upstreamPath, parsePrefer(ctx.req.headers.prefer));
    markOutcome(ctx, 'mocked', true);
    answeredBy(ctx, 'mock', `service ${name} is mocked from ${spec.file}`);
  };
};
