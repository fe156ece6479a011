import { GatewayError } from '../../../errors.js';
import type { GatewayContext, PolicyFactory } from '../../../pipeline/types.js';
import type { GrpcMethod, HttpBinding } from '../proto/grpc-methods.js';
import { serviceProtos } from '../proto/service-protos.js';
import { grpcWireOf } from '../grpc-protocol.js';
import { frameMessage } from './grpc-frames.js';
import { grpcCallError } from './grpc-http-status.js';
import { createTranscodedCaller } from './grpc-resilient-call.js';
import { decodeAnswer, encodeRequest } from './json-message.js';
import { requestJson, type TranscodeTarget } from './request-message.js';
import { startStreamedAnswer } from './streamed-answer.js';

/**
 * JSON ⇄ gRPC on routes with `transcode: true` (issue 13, item 5). The REST call is matched to a
 * method by the proto's google.api.http annotations, else `POST /package.Service/Method`; its
 * JSON becomes the request message, the call goes to the gRPC service, and the answer comes back
 * as JSON (a server stream as NDJSON, or SSE for clients that accept text/event-stream). A status
 * other than OK becomes problem+json with the usual gRPC → HTTP mapping.
 *
 * A policy that answers the request itself (as aggregate does) rather than a change to the
 * forward: the call must go out as POST whatever the client's method, with a body gw made, and
 * its answer must be read frame by frame with its trailers (grpc-status) before anything is
 * written to the client. The forward sends the client's method, drops trailers of buffered
 * answers and writes streamed ones straight through; so the policy makes the call itself
 * (grpc-resilient-call.ts), with the service's pool, breakers, retries and TLS settings and gw's
 * HTTP/2 client (proxy/http2-call.ts). A unary call's deadline is the route's `timeout`.
 */
export const createTranscodePolicy: PolicyFactory = (route, build) => {
  if (route.config.transcode !== true) return undefined;
  const name = route.config.service;
  const service = name === undefined ? undefined : build.config.services[name];
  const pool = name === undefined ? undefined : build.upstreams.get(name);
  const protos = service ? serviceProtos(service, build.configDir) : undefined;
  if (!service || !pool || service.protocol !== 'grpc' || !protos?.ok) {
    throw new GatewayError(
      'GW_CONFIG_INVALID',
      `Route ${route.id}: transcode needs a gRPC service with a proto`,
      {
        hint: protos && !protos.ok ? protos.message : "set protocol: 'grpc' and proto on the route's service",
      },
    );
  }
  const { bindings, methods } = protos.api;
  const byPath = new Map<string, GrpcMethod>(methods.map((method) => [method.path, method]));
  const callTranscoded = createTranscodedCaller(route, pool, build);

  return async function transcode(ctx, next) {
    // gRPC and gRPC-Web calls on the same paths go through as they are.
    if (grpcWireOf(ctx.req.headers) !== undefined) return next();
    const reached = reach(ctx, bindings, byPath);
    const { method } = reached;
    const json = await requestJson(ctx, reached);
    const body = frameMessage(encodeRequest(method.requestType, json));
    if (method.serverStreaming) return streamCall(ctx, method, body);
    let answers: Buffer[] = [];
    const { done } = callTranscoded(ctx, {
      path: method.path,
      body,
      deadline: true,
      onMessage: (m) => answers.push(Buffer.from(m)),
      // Nothing reaches the client before the status: every try may be retried.
      answered: () => false,
      onRetry: () => (answers = []),
    });
    const status = await done;
    if (status.code !== 0)
      throw grpcCallError(status.code, status.message, `${method.service}/${method.name}`);
    if (answers.length !== 1) {
      throw new GatewayError(
        'GW_UPSTREAM_BAD_RESPONSE',
        `${method.path} answered ${answers.length} messages to a unary call`,
      );
    }
    const answer = JSON.stringify(decodeAnswer(method.responseType, answers[0]!));
    ctx.response = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(answer),
    };
  };

  async function streamCall(ctx: GatewayContext, method: GrpcMethod, body: Buffer): Promise<void> {
    const answer = startStreamedAnswer(ctx);
    // A stream has no deadline (it may be a long watch): `timeout` bounds the wait for its
    // first answer and `idleTimeout` the silences after, as on HTTP routes.
    const call = callTranscoded(ctx, {
      path: method.path,
      body,
      deadline: false,
      onMessage: (message) => {
        if (!answer.write(decodeAnswer(method.responseType, message))) {
          call.pause();
          ctx.res.once('drain', () => call.resume());
        }
      },
      answered: () => answer.started,
    });
    let status;
    try {
      status = await call.done;
    } catch (error) {
      if (!answer.started) throw error;
      answer.fail(error as GatewayError);
      return;
    }
    if (status.code === 0) return answer.end();
    const error = grpcCallError(status.code, status.message, `${method.service}/${method.name}`);
    if (!answer.started) throw error;
    answer.fail(error);
  }
};

/** The method a REST call reaches: an annotation's verb and template, else POST /pkg.Service/Method. */
function reach(
  ctx: GatewayContext,
  bindings: readonly HttpBinding[],
  byPath: ReadonlyMap<string, GrpcMethod>,
): TranscodeTarget {
  for (const binding of bindings) {
    if (binding.verb !== ctx.method) continue;
    const variables = binding.template.match(ctx.path);
    if (variables) return { method: binding.method, body: binding.body, variables };
  }
  const direct = ctx.method === 'POST' ? byPath.get(ctx.path) : undefined;
  if (direct) return { method: direct, body: '*', variables: {} };
  throw new GatewayError('GW_TRANSCODE_NO_METHOD', `No gRPC method answers ${ctx.method} ${ctx.path}`);
}
