import http2, { type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { connectOptions } from './keep-alive-agent.js';
import {
  grpcFailure,
  HEALTH_CHECK_PATH,
  healthCheckRequestBody,
  servingStatusOf,
} from './health-check-grpc.js';
import type { TargetTls } from './upstream-tls.js';

export interface ProbeResult {
  ok: boolean;
  /** e.g. "GET /health answered 500" */
  detail: string;
}

/** What to ask over HTTP/2: GET a path (protocol: 'http2'), or the gRPC health service. */
export type Http2Probe = { kind: 'get'; path: string } | { kind: 'grpc'; service: string };

/** A health answer is one small message; anything bigger is not one. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One probe over HTTP/2 on a session of its own (h2c with prior knowledge for http://, h2 by ALPN
 * with the service's TLS settings for https://), closed once answered: like the HTTP/1.1 probe,
 * it proves a fresh connect works. The session is unref'd so a probe never holds the process.
 * `settle` gets the first result only (the caller's timer may settle first); the returned
 * function tears the session down.
 */
export function probeHttp2(
  url: URL,
  tls: TargetTls | undefined,
  probe: Http2Probe,
  settle: (result: ProbeResult) => void,
  describeError: (error: Error) => string,
): () => void {
  const basePath = url.pathname.replace(/\/+$/, '');
  const label = probe.kind === 'get' ? `GET ${probe.path}` : 'grpc.health.v1.Health/Check';
  let session: ClientHttp2Session;
  try {
    session = http2.connect(
      url.origin,
      tls
        ? {
            ...connectOptions,
            secureContext: tls.secureContext,
            rejectUnauthorized: tls.rejectUnauthorized,
            servername: tls.servername,
          }
        : { ...connectOptions },
    );
  } catch (error) {
    settle({ ok: false, detail: `${label} failed: ${describeError(error as Error)}` });
    return () => undefined;
  }
  session.unref();
  const fail = (error: Error) => {
    // A session that never came up hands its stream the connect error as the cause.
    const cause = error.cause instanceof Error ? error.cause : error;
    settle({ ok: false, detail: `${label} failed: ${describeError(cause)}` });
    session.destroy();
  };
  session.on('error', fail);

  const headers =
    probe.kind === 'get'
      ? { ':method': 'GET', ':path': basePath + probe.path, 'user-agent': 'gw-health-check' }
      : {
          ':method': 'POST',
          ':path': basePath + HEALTH_CHECK_PATH,
          'content-type': 'application/grpc',
          te: 'trailers',
          'user-agent': 'gw-health-check',
        };
  const stream = session.request(headers, { endStream: probe.kind === 'get' });
  stream.on('error', fail);
  stream.on('close', () => {
    settle({ ok: false, detail: `${label} failed: the stream closed without an answer` });
    session.destroy();
  });

  if (probe.kind === 'get') {
    stream.on('response', (head: IncomingHttpHeaders) => {
      const status = Number(head[':status'] ?? 0);
      settle({ ok: status >= 200 && status < 400, detail: `${label} answered ${status}` });
      session.destroy();
    });
    return () => session.destroy();
  }

  const { service } = probe;
  stream.end(healthCheckRequestBody(service));
  const chunks: Buffer[] = [];
  let size = 0;
  /** The call's outcome once its grpc-status is known (in the head of a trailers-only answer). */
  const conclude = (trailers: IncomingHttpHeaders) => {
    const status = String(trailers['grpc-status'] ?? '');
    const message = String(trailers['grpc-message'] ?? '');
    if (status !== '0') {
      const detail = status === '' ? 'answered without a grpc-status' : grpcFailure(status, message, service);
      settle({ ok: false, detail: `${label} ${detail}` });
    } else {
      const serving = servingStatusOf(Buffer.concat(chunks, size));
      if ('error' in serving) settle({ ok: false, detail: `${label} ${serving.error}` });
      else settle({ ok: serving.status === 'SERVING', detail: `${label} answered ${serving.status}` });
    }
    session.destroy();
  };
  stream.on('response', (head: IncomingHttpHeaders, flags: number) => {
    const status = Number(head[':status'] ?? 0);
    if (status !== 200) {
      settle({ ok: false, detail: `${label} answered HTTP ${status}` });
      session.destroy();
      return;
    }
    if ((flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0) conclude(head);
  });
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      settle({ ok: false, detail: `${label} answered with more than ${MAX_ANSWER_BYTES} bytes` });
      session.destroy();
      return;
    }
    chunks.push(chunk);
  });
  stream.on('trailers', conclude);
  return () => session.destroy();
}
