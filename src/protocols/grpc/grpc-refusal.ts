import type { ServerResponse } from 'node:http';
import type { GatewayError } from '../../errors.js';
import { sendGrpcError, type ErrorContext } from './grpc-error.js';
import { grpcWireOf } from './grpc-protocol.js';
import { adaptGrpcWebAnswer } from './grpc-web-answer.js';
import { answersInText } from './grpc-web-request.js';

/**
 * Where a gw refusal picks its renderer by what the request speaks (DESIGN.md, "Protocols as
 * adapters"): a gRPC call gets a trailers-only gRPC status, a gRPC-Web call the same status in a
 * trailer frame, anything else the problem+json
 * answer. Returns false when the request is not a gRPC one, so the caller renders it.
 */
export function sendGrpcRefusal(res: ServerResponse, error: GatewayError, context: ErrorContext): boolean {
  const req = res.req as ServerResponse['req'] | undefined;
  if (!req) return false;
  const wire = grpcWireOf(req.headers);
  if (wire === undefined) return false;
  // gRPC-Web: the same answer, which the adapter turns into a trailer frame (and base64).
  if (wire !== 'grpc') adaptGrpcWebAnswer(res, answersInText(req.headers, wire));
  sendGrpcError(res, error, context);
  return true;
}
