import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { GatewayError } from '../../errors.js';
import { noteGrpcStatus } from './grpc-outcome.js';
import { percentEncodeGrpcMessage } from './grpc-protocol.js';
import { grpcStatusOf } from './grpc-status.js';

/** What a problem answer knows beside the error (as in pipeline/problem.ts). */
export interface ErrorContext {
  requestId?: string;
  instance?: string;
  headers?: OutgoingHttpHeaders;
}

/**
 * The status fields of a gw refusal on a gRPC call: grpc-status by gw's code, grpc-message with
 * what the problem+json detail would say after gw's code, and the code alone as metadata
 * (`gw-error-code`) for clients that switch on it.
 */
export function grpcStatusFields(error: GatewayError): Record<string, string> {
  return {
    'grpc-status': String(grpcStatusOf(error)),
    'grpc-message': percentEncodeGrpcMessage(`${error.code}: ${error.message}`),
    'gw-error-code': error.code,
  };
}

/**
 * Answers a gRPC call with a gw refusal, as gRPC clients expect it (PROTOCOL-HTTP2.md,
 * "Trailers-Only"): HTTP 200, content-type application/grpc, the status fields and the answer's
 * metadata (x-request-id, RateLimit, Retry-After …) in one HEADERS frame that ends the stream
 * (setHeader then end() without writeHead, so the head leaves with the end). A call whose head
 * went out already ends with the same fields as trailers.
 */
export function sendGrpcError(res: ServerResponse, error: GatewayError, context: ErrorContext): void {
  const status = grpcStatusFields(error);
  noteGrpcStatus(res, status['grpc-status']);
  if (res.headersSent) {
    if (res.writableEnded || !res.chunkedEncoding) {
      res.destroy();
      return;
    }
    res.addTrailers({ ...error.headers, ...status });
    res.end();
    return;
  }
  const headers: OutgoingHttpHeaders = {
    ...context.headers,
    ...error.headers,
    'content-type': 'application/grpc',
    ...status,
  };
  for (const name of res.getHeaderNames()) if (name === 'content-length') res.removeHeader(name);
  // Set one by one so that res.getHeaders() still sees them (the request-finished event reports them).
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value);
  res.statusCode = 200;
  res.end();
}
