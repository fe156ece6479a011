import type { ErrorCode, GatewayError } from '../../errors.js';

/**
 * gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html) and which one a
 * gw refusal answers with on a gRPC call. The table speaks of gw's own codes, so a gRPC client
 * can tell "no credentials" (UNAUTHENTICATED) from "target down" (UNAVAILABLE, which gRPC retry
 * policies retry) from "too slow" (DEADLINE_EXCEEDED, which they do not).
 */
export const grpcStatusNames = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

export type GrpcStatusName = (typeof grpcStatusNames)[number];

/** The name of a grpc-status value ('14' → 'UNAVAILABLE'); undefined for anything else. */
export function grpcStatusName(status: string | number | undefined): GrpcStatusName | undefined {
  if (status === undefined) return undefined;
  const code = typeof status === 'number' ? status : /^\d{1,2}$/.test(status) ? Number(status) : -1;
  return grpcStatusNames[code];
}

const code = (name: GrpcStatusName): number => grpcStatusNames.indexOf(name);

/** gw's codes whose meaning decides the gRPC status, whatever HTTP status they carry. */
const byGatewayCode: Partial<Record<ErrorCode, GrpcStatusName>> = {
  GW_UNAUTHENTICATED: 'UNAUTHENTICATED',
  GW_INVALID_CREDENTIALS: 'UNAUTHENTICATED',
  GW_FORBIDDEN: 'PERMISSION_DENIED',
  GW_HOST_NOT_ALLOWED: 'PERMISSION_DENIED',
  GW_ORIGIN_NOT_ALLOWED: 'PERMISSION_DENIED',
  GW_CORS_DENIED: 'PERMISSION_DENIED',
  GW_RATE_LIMITED: 'RESOURCE_EXHAUSTED',
  GW_BODY_TOO_LARGE: 'RESOURCE_EXHAUSTED',
  GW_ROUTE_NOT_FOUND: 'UNIMPLEMENTED',
  GW_METHOD_NOT_ALLOWED: 'UNIMPLEMENTED',
  GW_UPGRADE_NOT_ALLOWED: 'UNIMPLEMENTED',
  GW_CONNECT_NOT_SUPPORTED: 'UNIMPLEMENTED',
  GW_TRANSFER_CODING_UNSUPPORTED: 'UNIMPLEMENTED',
  GW_UPSTREAM_UNREACHABLE: 'UNAVAILABLE',
  GW_UPSTREAM_RESET: 'UNAVAILABLE',
  GW_UPSTREAM_FAILED: 'UNAVAILABLE',
  GW_NO_HEALTHY_TARGET: 'UNAVAILABLE',
  GW_CIRCUIT_OPEN: 'UNAVAILABLE',
  GW_STORE_UNAVAILABLE: 'UNAVAILABLE',
  // A target that did not accept the connection never saw the call: safe to retry elsewhere.
  GW_UPSTREAM_CONNECT_TIMEOUT: 'UNAVAILABLE',
  GW_UPSTREAM_TIMEOUT: 'DEADLINE_EXCEEDED',
  GW_UPSTREAM_IDLE_TIMEOUT: 'DEADLINE_EXCEEDED',
  GW_REQUEST_BODY_TIMEOUT: 'DEADLINE_EXCEEDED',
  GW_UPSTREAM_BAD_RESPONSE: 'INTERNAL',
  GW_UPSTREAM_INVALID_JSON: 'INTERNAL',
  GW_INTERNAL: 'INTERNAL',
  GW_MOCK_FAILED: 'INTERNAL',
  GW_TRANSFORM_FAILED: 'INTERNAL',
  GW_AGGREGATE_MERGE_FAILED: 'INTERNAL',
  GW_AGGREGATE_PART_FAILED: 'UNAVAILABLE',
  GW_BAD_REQUEST: 'INVALID_ARGUMENT',
  GW_BAD_PATH: 'INVALID_ARGUMENT',
  GW_HOST_INVALID: 'INVALID_ARGUMENT',
  GW_BODY_INVALID_JSON: 'INVALID_ARGUMENT',
};

/**
 * The gRPC status for an HTTP status, as gRPC clients map an answer that is not gRPC
 * (https://github.com/grpc/grpc/blob/master/doc/http-grpc-status-mapping.md), with the statuses
 * gw itself answers (408, 413, 429, 504) mapped to what they mean for a call.
 */
export function grpcStatusForHttp(status: number): number {
  switch (status) {
    case 400:
      return code('INVALID_ARGUMENT');
    case 401:
      return code('UNAUTHENTICATED');
    case 403:
      return code('PERMISSION_DENIED');
    case 404:
    case 501:
      return code('UNIMPLEMENTED');
    case 408:
    case 504:
      return code('DEADLINE_EXCEEDED');
    case 413:
    case 429:
      return code('RESOURCE_EXHAUSTED');
    case 499:
      return code('CANCELLED');
    case 502:
    case 503:
      return code('UNAVAILABLE');
    default:
      return status >= 500 ? code('INTERNAL') : code('UNKNOWN');
  }
}

/**
 * The gRPC status for an upstream answer without grpc-status, exactly as gRPC clients map one
 * (https://github.com/grpc/grpc/blob/master/doc/http-grpc-status-mapping.md; Envoy's
 * Grpc::Utility::httpToGrpcStatus does the same): it is the upstream's status, not gw's.
 */
export function grpcStatusForUpstreamHttp(status: number): number {
  switch (status) {
    case 400:
      return code('INTERNAL');
    case 401:
      return code('UNAUTHENTICATED');
    case 403:
      return code('PERMISSION_DENIED');
    case 404:
      return code('UNIMPLEMENTED');
    case 429:
    case 502:
    case 503:
    case 504:
      return code('UNAVAILABLE');
    default:
      return code('UNKNOWN');
  }
}

/** The gRPC status a gw refusal answers with: by gw's code, else by its HTTP status (faults). */
export function grpcStatusOf(error: GatewayError): number {
  if (error.code === 'GW_UPSTREAM_NOT_GRPC')
    return grpcStatusForUpstreamHttp(Number(error.extensions?.upstreamStatus));
  const name = error.code === 'GW_FAULT_INJECTED' ? undefined : byGatewayCode[error.code];
  return name === undefined ? grpcStatusForHttp(error.status) : code(name);
}
