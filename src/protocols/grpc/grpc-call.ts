import type { PolicyFactory } from '../../pipeline/types.js';
import { startCallDeadline } from './grpc-deadline.js';
import { grpcWireOf } from './grpc-protocol.js';

/**
 * The gRPC adapter of a route whose service speaks gRPC (`protocol: 'grpc'`), innermost, just
 * before the forward: a call's deadline (grpc-deadline.ts). gRPC itself needs nothing else from
 * gw: its messages stream both ways untouched, `te: trailers` goes upstream
 * (proxy/http2-headers.ts), and trailers come back on the client's HTTP/2 stream. Requests that
 * are not gRPC go on as they came.
 */
export const createGrpcCallPolicy: PolicyFactory = (route, build) => {
  const service = route.config.service;
  if (service === undefined || build.config.services[service]?.protocol !== 'grpc') return undefined;
  return async function grpcCall(ctx, next) {
    if (grpcWireOf(ctx.req.headers) === undefined) return next();
    const stopDeadline = startCallDeadline(ctx, service);
    try {
      await next();
    } finally {
      stopDeadline?.();
    }
  };
};
