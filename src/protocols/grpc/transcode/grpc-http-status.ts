import { GatewayError } from '../../../errors.js';
import { grpcStatusName } from '../grpc-status.js';

/**
 * A gRPC status as an HTTP status, the mapping of google/rpc/code.proto that grpc-gateway and
 * Envoy's transcoder use (https://cloud.google.com/apis/design/errors#handling_errors).
 */
const httpByGrpc: Record<number, number> = {
  1: 499, // CANCELLED
  2: 500, // UNKNOWN
  3: 400, // INVALID_ARGUMENT
  4: 504, // DEADLINE_EXCEEDED
  5: 404, // NOT_FOUND
  6: 409, // ALREADY_EXISTS
  7: 403, // PERMISSION_DENIED
  8: 429, // RESOURCE_EXHAUSTED
  9: 400, // FAILED_PRECONDITION
  10: 409, // ABORTED
  11: 400, // OUT_OF_RANGE
  12: 501, // UNIMPLEMENTED
  13: 500, // INTERNAL
  14: 503, // UNAVAILABLE
  15: 500, // DATA_LOSS
  16: 401, // UNAUTHENTICATED
};

export function httpStatusForGrpc(code: number): number {
  return httpByGrpc[code] ?? 500;
}

/** grpc-message is percent-encoded (PROTOCOL-HTTP2.md); a malformed one is shown as sent. */
export function decodeGrpcMessage(value: string | undefined): string {
  if (value === undefined) return '';
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The problem+json error for a call the service ended with a status other than OK. */
export function grpcCallError(code: number, message: string, method: string): GatewayError {
  const name = grpcStatusName(code) ?? 'UNKNOWN';
  return new GatewayError(
    'GW_GRPC_CALL_FAILED',
    `${method} failed with ${name}${message ? `: ${message}` : ''}`,
    {
      status: httpStatusForGrpc(code),
      extensions: { grpcStatus: code, grpcCode: name, grpcMessage: message },
    },
  );
}
