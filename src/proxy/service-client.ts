import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { GatewayError } from '../errors.js';
import { classifyUpstreamError, upstreamError } from './upstream-errors.js';
import { timeoutError } from './upstream-head.js';
import type { Target, UpstreamPool } from './upstream-types.js';

export interface ServiceRequest {
  method: string;
  /** Path and query, appended to the target's URL. */
  path: string;
  headers: OutgoingHttpHeaders;
  timeoutMs: number;
  /** Larger answers fail with GW_UPSTREAM_BAD_RESPONSE instead of being buffered. */
  maxBytes: number;
  signal?: AbortSignal;
  /** Called with the status as soon as the head arrives (breakers judge answers by it). */
  onHead?: (status: number) => void;
}

export interface ServiceResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A request the gateway makes on its own behalf (aggregation) to one target of a service: the
 * pool's keep-alive agent, its in-flight and passive-health bookkeeping, the same error codes as
 * the forwarder. The caller chooses the target (balancer, breaker). Rejects with a GatewayError.
 */
export function callTarget(
  pool: UpstreamPool,
  target: Target,
  request: ServiceRequest,
): Promise<ServiceResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(target.key + request.path);
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    let timedOut = false;
    const finish = (outcome: 'ok' | 'connect-failed' | 'failed', result: ServiceResponse | GatewayError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      pool.finished(target, outcome);
      if (outcome === 'ok') resolve(result as ServiceResponse);
      else reject(result);
    };
    const fail = (error: unknown) => {
      const reason = timedOut ? timeoutError(request.timeoutMs) : error;
      const failure = classifyUpstreamError(reason);
      finish(
        failure === 'connect' ? 'connect-failed' : 'failed',
        upstreamError(reason, target.key, pool.name, request.timeoutMs),
      );
    };
    const req = client.request(
      url,
      {
        method: request.method,
        headers: request.headers,
        agent: target.agent,
        // https: the target's name for SNI and verification (upstream-tls.ts), not the Host sent.
        servername: target.tls?.servername,
      },
      (res) => {
        const status = res.statusCode ?? 502;
        request.onHead?.(status);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > request.maxBytes) {
            res.destroy();
            fail(Object.assign(new Error('answer too large'), { code: 'HPE_TOO_LARGE' }));
          } else chunks.push(chunk);
        });
        res.once('error', fail);
        res.once('aborted', () => fail(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
        res.once('end', () =>
          finish('ok', { status, headers: res.headers, body: Buffer.concat(chunks, size) }),
        );
      },
    );
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(timeoutError(request.timeoutMs));
    }, request.timeoutMs);
    const onAbort = () =>
      req.destroy(Object.assign(new Error('the caller went away'), { code: 'ECONNABORTED' }));
    request.signal?.addEventListener('abort', onAbort, { once: true });
    req.once('error', fail);
    pool.started(target);
    req.end();
  });
}
