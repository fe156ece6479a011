import type * as Protobuf from 'protobufjs';
import { protobufjs } from '../protocols/grpc/proto/protobuf-lib.js';

/**
 * The two messages of grpc.health.v1.Health/Check
 * (https://github.com/grpc/grpc/blob/master/src/proto/grpc/health/v1/health.proto), declared here
 * rather than loaded from a .proto: a health probe must not depend on the user's proto files.
 * `status` is an enum on the wire, a varint like int32. Built at the first probe, so that a
 * `gw dev` without gRPC health checks never loads protobufjs (about 130 ms and 10 MB).
 */
let messages: { request: Protobuf.Type; response: Protobuf.Type } | undefined;
function healthMessages(): { request: Protobuf.Type; response: Protobuf.Type } {
  if (messages) return messages;
  const protobuf = protobufjs();
  messages = {
    request: new protobuf.Type('HealthCheckRequest').add(new protobuf.Field('service', 1, 'string')),
    response: new protobuf.Type('HealthCheckResponse').add(new protobuf.Field('status', 1, 'int32')),
  };
  return messages;
}

export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

const servingStatus = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

/** The request body: one uncompressed gRPC message frame (flag 0, 4-byte big-endian length). */
export function healthCheckRequestBody(service: string): Buffer {
  const { request } = healthMessages();
  const message = request.encode(request.create({ service })).finish();
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** The serving status named by the answer's first message, or why it cannot be read. */
export function servingStatusOf(body: Buffer): { status: string } | { error: string } {
  if (body.length < 5) return { error: 'answered without a message' };
  if (body[0] !== 0) return { error: 'answered with a compressed message' };
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return { error: 'answered with a cut message' };
  try {
    const { response } = healthMessages();
    const message = response.decode(body.subarray(5, 5 + length));
    const status: unknown = response.toObject(message, { defaults: true }).status;
    const code = typeof status === 'number' ? status : 0;
    return { status: servingStatus[code] ?? `status ${code}` };
  } catch {
    return { error: 'answered with a message that is not a HealthCheckResponse' };
  }
}

/** gRPC status names for the codes a health check meets (https://grpc.io/docs/guides/status-codes/). */
const grpcStatusNames: Record<string, string> = {
  '1': 'CANCELLED',
  '2': 'UNKNOWN',
  '4': 'DEADLINE_EXCEEDED',
  '5': 'NOT_FOUND',
  '7': 'PERMISSION_DENIED',
  '12': 'UNIMPLEMENTED',
  '13': 'INTERNAL',
  '14': 'UNAVAILABLE',
  '16': 'UNAUTHENTICATED',
};

/** Why a call that ended with a non-OK grpc-status failed, in words. */
export function grpcFailure(status: string, message: string | undefined, service: string): string {
  const name = grpcStatusNames[status] ?? `status ${status}`;
  if (status === '12') return `answered ${name}: the server has no grpc.health.v1.Health service`;
  if (status === '5') return `answered ${name}: the server does not know service '${service}'`;
  return `answered ${name}${message ? ` (${message})` : ''}`;
}
