import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { grpcStatusName, type GrpcStatusName } from './grpc-status.js';

/**
 * The grpc-status a call ended with, by response, for the request-finished event (and so the
 * dashboard and the `gw_grpc_calls_total` metric): noted where gw writes it (a refusal) or sees
 * it go by (the upstream's trailers, or a trailers-only head).
 */
const sent = new WeakMap<ServerResponse, GrpcStatusName>();

export function noteGrpcStatus(res: ServerResponse, status: unknown): void {
  const name = grpcStatusName(typeof status === 'number' || typeof status === 'string' ? status : undefined);
  if (name !== undefined) sent.set(res, name);
}

/** The status name of a finished gRPC or gRPC-Web call; undefined for anything else. */
export function grpcStatusSent(res: ServerResponse): GrpcStatusName | undefined {
  return sent.get(res) ?? grpcStatusName(headerValue(res.getHeader('grpc-status')));
}

function headerValue(value: OutgoingHttpHeaders[string]): string | number | undefined {
  return Array.isArray(value) ? value[0] : value;
}

const observed = new WeakSet<ServerResponse>();

/** Notes the grpc-status of the trailers a gRPC answer ends with (once per response). */
export function observeGrpcTrailers(res: ServerResponse): void {
  if (observed.has(res)) return;
  observed.add(res);
  const addTrailers = res.addTrailers;
  res.addTrailers = function (trailers: OutgoingHttpHeaders | ReadonlyArray<[string, string]>): void {
    const status = Array.isArray(trailers)
      ? (trailers as ReadonlyArray<[string, string]>).find(
          ([name]) => name.toLowerCase() === 'grpc-status',
        )?.[1]
      : (trailers as OutgoingHttpHeaders)['grpc-status'];
    if (status !== undefined) noteGrpcStatus(res, status);
    addTrailers.call(res, trailers);
  };
}
