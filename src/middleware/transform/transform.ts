import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../../errors.js';
import {
  answerBuffering,
  answeredBy,
  bufferAnswer,
  onAnswerHead,
  replaceUpstreamBody,
  type AnswerBuffering,
} from '../../pipeline/hooks.js';
import type { BufferedResponse, GatewayContext, PolicyFactory, UpstreamHead } from '../../pipeline/types.js';
import { compileFieldRules } from './field-rules.js';
import { compileHeaderRules } from './header-rules.js';
import { decodeBody, InflateLimitExceeded, isJsonType, parseJson, serializeJson } from './json-body.js';
import { hasRequestBody, readRequestBody } from './read-body.js';
import type { BodyTransform, TransformSide } from './transform-schema.js';

export { transformSchema } from './transform-schema.js';

function compileBody(body: TransformSide['body']): BodyTransform | undefined {
  if (body === undefined) return undefined;
  return typeof body === 'function' ? body : compileFieldRules(body);
}

/** Runs a body transform; whatever it throws (or a result JSON cannot hold) becomes GW_TRANSFORM_FAILED. */
async function runTransform(
  fn: BodyTransform,
  value: unknown,
  ctx: GatewayContext,
  side: 'request' | 'response',
): Promise<Buffer> {
  try {
    const result = await fn(value, ctx);
    return serializeJson(result === undefined ? value : result);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    answeredBy(ctx, 'transform', message);
    throw new GatewayError(
      'GW_TRANSFORM_FAILED',
      `The ${side} body transform of route ${ctx.route.id} threw: ${message}`,
      {
        cause: error,
        extensions: { route: ctx.route.id, side },
      },
    );
  }
}

/** The answers a response body transform works on: 2xx JSON. */
function isTransformable(status: number, headers: IncomingHttpHeaders): boolean {
  return status >= 200 && status <= 299 && isJsonType(headers);
}

/**
 * Header rules and JSON body transforms (issue 4). Only a route with a body transform reads or
 * buffers bodies; header rules edit the request headers and, through a head edit (onAnswerHead), the
 * upstream's head, so a streamed answer stays streamed.
 */
export const createTransformPolicy: PolicyFactory = (route) => {
  const config = route.config.transform;
  if (!config) return undefined;
  const editRequestHeaders = compileHeaderRules(config.request?.headers);
  const editResponseHeaders = compileHeaderRules(config.response?.headers);
  const requestBody = compileBody(config.request?.body);
  const responseBody = compileBody(config.response?.body);
  const maxBytes = config.maxBodySize;
  const maxInflated = Math.max(config.maxInflatedSize, maxBytes);
  const inflateHint = `Send a smaller body, or raise transform.maxInflatedSize (${maxInflated} bytes) on route ${route.id}.`;
  const responseHook = editResponseHeaders && ((head: UpstreamHead) => editResponseHeaders(head.headers));
  if (!editRequestHeaders && !responseHook && !requestBody && !responseBody) return undefined;
  const everyAnswer: AnswerBuffering = { maxBytes, overflow: 'fail' };

  async function transformRequest(ctx: GatewayContext, fn: BodyTransform): Promise<void> {
    const raw = await readRequestBody(ctx, maxBytes);
    let decoded: Buffer | undefined;
    try {
      decoded = await decodeBody(raw, ctx.upstreamHeaders, maxInflated);
    } catch (error) {
      if (error instanceof InflateLimitExceeded) {
        answeredBy(ctx, 'transform', error.message);
        throw new GatewayError(
          'GW_BODY_TOO_LARGE',
          `The request body of route ${route.id}: ${error.message}`,
          {
            hint: inflateHint,
            extensions: { limit: error.limit, inflated: true },
          },
        );
      }
      throw new GatewayError(
        'GW_BAD_REQUEST',
        `The request body does not match its Content-Encoding: ${(error as Error).message}`,
      );
    }
    if (decoded === undefined) {
      // A coding gw cannot read: send the body on as it came.
      replaceUpstreamBody(ctx, raw);
      return;
    }
    const parsed = parseJson(decoded);
    if (!parsed.ok)
      throw new GatewayError('GW_BODY_INVALID_JSON', `The request body is not valid JSON: ${parsed.message}`);
    replaceUpstreamBody(ctx, await runTransform(fn, parsed.value, ctx, 'request'));
    delete ctx.upstreamHeaders['content-encoding'];
  }

  async function transformResponse(
    ctx: GatewayContext,
    response: BufferedResponse,
    fn: BodyTransform,
  ): Promise<void> {
    if (
      response.status < 200 ||
      response.status > 299 ||
      response.body.length === 0 ||
      !isJsonType(response.headers)
    )
      return;
    let decoded: Buffer | undefined;
    try {
      decoded = await decodeBody(response.body, response.headers, maxInflated);
    } catch (error) {
      if (error instanceof InflateLimitExceeded) {
        throw new GatewayError(
          'GW_UPSTREAM_BAD_RESPONSE',
          `${route.config.service ?? route.id} sent a body that ${error.message.replace(/^the body /, '')}`,
          { hint: inflateHint, extensions: { limit: error.limit, inflated: true } },
        );
      }
      throw new GatewayError(
        'GW_UPSTREAM_BAD_RESPONSE',
        `${route.config.service ?? route.id} sent a body that does not match its Content-Encoding: ${(error as Error).message}`,
      );
    }
    if (decoded === undefined) return;
    const parsed = parseJson(decoded);
    if (!parsed.ok) {
      throw new GatewayError(
        'GW_UPSTREAM_INVALID_JSON',
        `${route.config.service ?? route.id} sent invalid JSON on route ${route.id}: ${parsed.message}`,
      );
    }
    response.body = await runTransform(fn, parsed.value, ctx, 'response');
    // The body is new: its old coding, length and validators describe bytes that are gone.
    for (const name of ['content-encoding', 'content-length', 'etag', 'content-md5'])
      delete response.headers[name];
  }

  return async function transform(ctx, next) {
    if (requestBody && !ctx.upgrade && isJsonType(ctx.req.headers) && hasRequestBody(ctx))
      await transformRequest(ctx, requestBody);
    if (editRequestHeaders) editRequestHeaders(ctx.upstreamHeaders);
    if (responseHook) onAnswerHead(ctx, responseHook);
    const bodyWanted = responseBody !== undefined && !ctx.upgrade && ctx.method !== 'HEAD';
    // Alone, only JSON successes are buffered and everything else streams; under a cache, which
    // keeps whole answers anyway, every answer is.
    if (bodyWanted)
      bufferAnswer(
        ctx,
        answerBuffering(ctx) ? everyAnswer : { maxBytes, when: isTransformable, overflow: 'fail' },
      );
    await next();
    if (bodyWanted && ctx.response) await transformResponse(ctx, ctx.response, responseBody);
  };
};
