import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError, isGatewayError, type ErrorCode } from '../errors.js';
import type { BufferedResponse, GatewayContext, PolicyFactory } from '../pipeline/types.js';
import { mockAnswerSchema, type MockFunction, type MockRequest } from './mock-schema.js';
import { isJsonType } from './transform/json-body.js';
import { readRequestBody } from './transform/read-body.js';
import { answeredBy, markOutcome } from '../pipeline/hooks.js';

export { fallbackSchema, mockSchema } from './mock-schema.js';

type ResolvedAnswer = ReturnType<typeof mockAnswerSchema.parse>;

/** Failures that mean "the service is down", which a `fallback: 'mock'` service answers from the mock. */
const downCodes: ReadonlySet<ErrorCode> = new Set([
  'GW_NO_HEALTHY_TARGET',
  'GW_UPSTREAM_UNREACHABLE',
  'GW_CIRCUIT_OPEN',
]);

function toResponse(answer: ResolvedAnswer): BufferedResponse {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(answer.headers)) headers[name.toLowerCase()] = value;
  let body = Buffer.alloc(0);
  if (answer.json !== undefined) {
    body = Buffer.from(JSON.stringify(answer.json), 'utf8');
    headers['content-type'] ??= 'application/json';
  } else if (answer.body !== undefined) {
    body = Buffer.from(answer.body, 'utf8');
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  }
  return { status: answer.status, headers, body };
}

function mockRequestOf(ctx: GatewayContext): MockRequest {
  return {
    method: ctx.method,
    path: ctx.path,
    params: ctx.params,
    query: new URLSearchParams(ctx.search),
    headers: ctx.req.headers,
    identity: ctx.identity,
    async body() {
      const raw = await readRequestBody(ctx, 1024 * 1024);
      const text = raw.toString('utf8');
      if (!isJsonType(ctx.req.headers) || raw.length === 0) return text;
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new GatewayError(
          'GW_BODY_INVALID_JSON',
          `The request body is not valid JSON: ${(error as Error).message}`,
        );
      }
    },
  };
}

/** Compiles the route's mock once: a static answer is built here, a function is called per request. */
function compileAnswer(
  routeId: string,
  mock: ResolvedAnswer | MockFunction,
): (ctx: GatewayContext) => Promise<{ response: BufferedResponse; delay: number }> {
  if (typeof mock !== 'function') {
    const response = toResponse(mock);
    // Each request gets its own header object: later policies and the writer may edit it.
    return async () => ({ response: { ...response, headers: { ...response.headers } }, delay: mock.delay });
  }
  return async (ctx) => {
    let answer: unknown;
    try {
      answer = await mock(mockRequestOf(ctx));
    } catch (error) {
      if (isGatewayError(error) && error.status < 500) throw error;
      throw new GatewayError(
        'GW_MOCK_FAILED',
        `The mock of route ${routeId} threw: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const parsed = mockAnswerSchema.safeParse(answer);
    if (!parsed.success) {
      throw new GatewayError(
        'GW_MOCK_FAILED',
        `The mock of route ${routeId} returned ${JSON.stringify(answer) ?? String(answer)}, not { status, json | body, headers, delay }`,
      );
    }
    return { response: toResponse(parsed.data), delay: parsed.data.delay };
  };
}

/**
 * Answers a route from its `mock` (issue 4). On a route whose service says `fallback: 'mock'`,
 * the upstream answers as usual and the mock only steps in while the service is down.
 */
export const createMockPolicy: PolicyFactory = (route, build) => {
  const mock = route.config.mock;
  if (mock === undefined) return undefined;
  const service =
    route.config.service === undefined ? undefined : build.config.services[route.config.service];
  const answer = compileAnswer(route.id, mock);

  async function answerFromMock(ctx: GatewayContext, reason: string): Promise<void> {
    const { response, delay } = await answer(ctx);
    if (delay > 0) await sleep(delay);
    ctx.response = response;
    markOutcome(ctx, 'mocked', true);
    answeredBy(ctx, 'mock', reason);
  }

  if (service?.fallback !== 'mock') {
    return async function mock(ctx) {
      // The upgrade path writes no buffered answer; say so instead of leaving the socket open.
      if (ctx.upgrade) {
        throw new GatewayError(
          'GW_UPGRADE_NOT_ALLOWED',
          `Route ${route.id} is mocked: a mock cannot answer a WebSocket upgrade`,
        );
      }
      await answerFromMock(ctx, `route ${route.id} is mocked`);
    };
  }
  return async function mockFallback(ctx, next) {
    try {
      await next();
    } catch (error) {
      if (ctx.upgrade || ctx.res.headersSent || !isGatewayError(error) || !downCodes.has(error.code))
        throw error;
      // A fallback answer is for the client; drop what the failed attempt may have left behind.
      ctx.response = undefined;
      await answerFromMock(ctx, `${route.config.service} is down (${error.code}): answered from the mock`);
    }
  };
};
