import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { GatewayError } from '../errors.js';
import { sendGrpcRefusal } from '../protocols/grpc/grpc-refusal.js';

/** The RFC 9457 body: `type` is a stable URN per code, so clients can switch on it. */
function problemBody(error: GatewayError, context: { requestId?: string; instance?: string }): string {
  return JSON.stringify({
    type: `urn:gw:problem:${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    hint: error.hint,
    code: error.code,
    ...(context.instance === undefined ? {} : { instance: context.instance }),
    ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
    ...error.extensions,
  });
}

/**
 * Writes a GatewayError as an RFC 9457 problem+json answer. `type` is a stable URN per code so
 * clients can switch on it; `hint` says what to do.
 */
export function sendProblem(
  res: ServerResponse,
  error: GatewayError,
  context: { requestId?: string; instance?: string; headers?: OutgoingHttpHeaders } = {},
): void {
  // A gRPC or gRPC-Web call gets its refusal in its own protocol (src/protocols/grpc/).
  if (sendGrpcRefusal(res, error, context)) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = problemBody(error, context);
  const headers: OutgoingHttpHeaders = {
    ...context.headers,
    ...error.headers,
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  };
  // Set one by one (not as writeHead's argument) so that res.getHeaders() still sees them: the
  // request-finished event reports the headers gw answered with (Retry-After, WWW-Authenticate).
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value);
  res.writeHead(error.status);
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/** The same answer on a raw socket (upgrade requests, client errors before a response exists). */
export function writeProblemToSocket(
  socket: { writable: boolean; end(data: string): void; destroy(): void },
  error: GatewayError,
  extraHeaders: Record<string, string> = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = problemBody(error, {});
  const head = [
    `HTTP/1.1 ${error.status} ${error.title}`,
    'Content-Type: application/problem+json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries({ ...extraHeaders, ...error.headers }).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}
