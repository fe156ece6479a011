import type { RequestFinished } from '../events/index.js';

/** gRPC calls of one method (its :path) and how they ended, by grpc-status name. */
export interface GrpcMethodStats {
  method: string;
  calls: number;
  /** Count per grpc-status name ('OK', 'UNAVAILABLE' …), in the order first seen. */
  statuses: Map<string, number>;
  last: string;
  lastAt: number;
}

/** Methods kept: a flood of odd paths (an UNIMPLEMENTED scan) cannot grow memory. */
export const MAX_GRPC_METHODS = 100;

/**
 * Counts a request-finished that ended with a grpc-status (gRPC or gRPC-Web: the event's
 * grpcStatus) under its method. O(1); a new method beyond the cap is not counted.
 */
export function recordGrpcCall(methods: Map<string, GrpcMethodStats>, request: RequestFinished): void {
  const status = request.grpcStatus;
  if (status === undefined) return;
  let stats = methods.get(request.path);
  if (!stats) {
    if (methods.size >= MAX_GRPC_METHODS) return;
    stats = { method: request.path, calls: 0, statuses: new Map(), last: status, lastAt: request.at };
    methods.set(request.path, stats);
  }
  stats.calls += 1;
  stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
  stats.last = status;
  stats.lastAt = request.at;
}

/** The methods called most recently first, up to `limit`. */
export function selectGrpcMethods(methods: Map<string, GrpcMethodStats>, limit: number): GrpcMethodStats[] {
  return [...methods.values()].sort((a, b) => b.lastAt - a.lastAt).slice(0, limit);
}
