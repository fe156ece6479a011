import type { PolicyFactory } from '../../pipeline/types.js';
import { startCallDeadline } from './grpc-deadline.js';
import { observeGrpcTrailers } from './grpc-outcome.js';
import { grpcWireOf } from './grpc-protocol.js';
import { translateGrpcWebCall } from './grpc-web-request.js';

/**
 * The gRPC adapter of a route whose service speaks gRPC (`protocol: 'grpc'`), innermost, just
 * before the forward: a gRPC-Web call is translated to gRPC and its answer back
 * (grpc-web-request.ts), and every call gets its deadline (grpc-deadline.ts). gRPC itself needs nothing else from
 * gw: its messages stream both ways untouched, `te: trailers` goes upstream
 * (proxy/http2-headers.ts), and trailers come back on the client's HTTP/2 stream. Requests that
 * are not gRPC go on as they came.
 */
export const createGrpcCallPolicy: PolicyFactory = (route, build) => {
  const service = route.config.service;
  if (service === undefined || build.config.services[service]?.protocol !== 'grpc') return undefined;
  // Not async: a call without a deadline (most of them) costs no promise or frame of its own.
  return function grpcCall(ctx, next) {
    const wire = grpcWireOf(ctx.req.headers);
    if (wire === undefined) return next();
    if (wire !== 'grpc') translateGrpcWebCall(ctx, wire);
    else observeGrpcTrailers(ctx.res);
    const stopDeadline = startCallDeadline(ctx, service);
    const call = next();
    if (stopDeadline !== undefined) call.then(stopDeadline, stopDeadline);
    return call;
  };
};
