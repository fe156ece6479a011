import { GatewayError } from '../errors.js';
import { upstreamError } from './upstream-errors.js';

/** Failures particular to HTTP/2 upstreams (http2-forward.ts, http2-call.ts). */

/** An upstream that does not speak HTTP/2 gets a hint of its own; other failures as on HTTP/1.1. */
export function http2Error(error: unknown, target: string, service: string, timeoutMs: number): GatewayError {
  const code = (error as { code?: string } | undefined)?.code;
  if (code === 'ERR_HTTP2_ERROR' || code === 'ERR_HTTP2_SESSION_ERROR') {
    return new GatewayError('GW_UPSTREAM_BAD_RESPONSE', `${service} (${target}) did not answer in HTTP/2`, {
      hint: `${service} is set to speak HTTP/2 (\`protocol\`), but ${target} does not (h2c with prior knowledge for http://, h2 by ALPN for https://) — drop \`protocol\` for an HTTP/1.1 server`,
      cause: error,
    });
  }
  return upstreamError(error, target, service, timeoutMs);
}

/**
 * A gRPC call answered with something that is not gRPC: no grpc-status and a content-type other
 * than application/grpc (a 404 page from a web server the target or path points at by mistake, a
 * 502 from a proxy in between). gRPC clients get a status mapped from the HTTP one
 * (protocols/grpc/grpc-status.ts), never the page itself.
 */
export function notGrpcAnswer(
  target: string,
  service: string,
  status: number,
  contentType: string | undefined,
): GatewayError {
  const host = target.replace(/^https?:\/\//, '');
  const type = contentType ? `, ${contentType.split(';')[0]!.trim()}` : '';
  return new GatewayError(
    'GW_UPSTREAM_NOT_GRPC',
    `${service} (${host}) answered a gRPC call with HTTP ${status}${type}, not gRPC`,
    {
      hint: `${host} is not answering as a gRPC server on this path — check that ${service}'s targets are gRPC servers and the route's path (stripPrefix, rewrite) reaches the method`,
      extensions: { upstreamStatus: status },
    },
  );
}
