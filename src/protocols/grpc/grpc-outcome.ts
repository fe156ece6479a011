import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { grpcStatusName, type GrpcStatusName } from './grpc-status.js';

/**
 * The grpc-status a call ended with, by response, for the request-finished event (and so the
 * dashboard and the `gw_grpc_calls_total` metric): noted where gw writes it (a refusal) or sees
 * it go by (the upstream's trailers, or a trailers-only head). Kept on the response under symbols
 * rather than in a WeakMap and a WeakSet: a weak table entry per call is work for every garbage
 * collection while the call lives.
 */
const STATUS_SENT: unique symbol = Symbol('gw.grpcStatusSent');
const OWN_ADD_TRAILERS: unique symbol = Symbol('gw.grpcOwnAddTrailers');

type Trailers = OutgoingHttpHeaders | ReadonlyArray<[string, string]>;

interface NotedResponse extends ServerResponse {
  [STATUS_SENT]?: GrpcStatusName;
  /** The response's addTrailers under the one that notes the status. */
  [OWN_ADD_TRAILERS]?: (trailers: Trailers) => void;
}

export function noteGrpcStatus(res: ServerResponse, status: unknown): void {
  const name = grpcStatusName(typeof status === 'number' || typeof status === 'string' ? status : undefined);
  if (name !== undefined) (res as NotedResponse)[STATUS_SENT] = name;
}

/** The status name of a finished gRPC or gRPC-Web call; undefined for anything else. */
export function grpcStatusSent(res: ServerResponse): GrpcStatusName | undefined {
  return (res as NotedResponse)[STATUS_SENT] ?? grpcStatusName(headerValue(res.getHeader('grpc-status')));
}

function headerValue(value: OutgoingHttpHeaders[string]): string | number | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** One function for every response (no closure per call): notes the status, then adds. */
function addTrailersNotingStatus(this: NotedResponse, trailers: Trailers): void {
  const status = Array.isArray(trailers)
    ? (trailers as ReadonlyArray<[string, string]>).find(
        ([name]) => name.toLowerCase() === 'grpc-status',
      )?.[1]
    : (trailers as OutgoingHttpHeaders)['grpc-status'];
  if (status !== undefined) noteGrpcStatus(this, status);
  this[OWN_ADD_TRAILERS]!.call(this, trailers);
}

/** Notes the grpc-status of the trailers a gRPC answer ends with (once per response). */
export function observeGrpcTrailers(res: ServerResponse): void {
  const noted = res as NotedResponse;
  if (noted.addTrailers === addTrailersNotingStatus) return;
  noted[OWN_ADD_TRAILERS] = noted.addTrailers;
  noted.addTrailers = addTrailersNotingStatus;
}
