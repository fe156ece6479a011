import { GatewayError } from '../errors.js';
import { tlsFailureOf, upstreamTlsError } from './upstream-tls-errors.js';

/** Why a forward failed before the client got a response head. */
export type ForwardFailure = 'connect' | 'reset' | 'timeout' | 'bad-response' | 'tls';

const failureByCode: Record<string, ForwardFailure> = {
  ECONNREFUSED: 'connect',
  EHOSTUNREACH: 'connect',
  ENETUNREACH: 'connect',
  ENOTFOUND: 'connect',
  EAI_AGAIN: 'connect',
  EADDRNOTAVAIL: 'connect',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  GW_UPSTREAM_TIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
  HPE_INVALID_CONSTANT: 'bad-response',
  HPE_INVALID_HEADER_TOKEN: 'bad-response',
  HPE_INVALID_STATUS: 'bad-response',
  HPE_INVALID_CHUNK_SIZE: 'bad-response',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'bad-response',
};

export function classifyUpstreamError(error: unknown): ForwardFailure {
  const code = (error as { code?: string } | null)?.code ?? '';
  const failure = failureByCode[code] ?? (code.startsWith('HPE_') ? 'bad-response' : undefined);
  if (failure !== undefined && code !== 'ECONNRESET') return failure;
  // A certificate gw refuses, or one the upstream refuses, is no crash (upstream-tls-errors.ts).
  return tlsFailureOf(error) ? 'tls' : (failure ?? 'reset');
}

/**
 * The answer for a failed forward, with a hint that names the target and service. nginx's
 * convention: refused/reset → 502, no answer in time → 504. Pinned in a table-driven test.
 */
export function upstreamError(
  error: unknown,
  target: string,
  service: string,
  timeoutMs: number,
): GatewayError {
  const failure = classifyUpstreamError(error);
  const host = target.replace(/^https?:\/\//, '');
  switch (failure) {
    case 'connect':
      return new GatewayError('GW_UPSTREAM_UNREACHABLE', `Nothing is listening on ${host}`, {
        hint: `nothing is listening on ${host} — is ${service} running?`,
        cause: error,
      });
    case 'timeout':
      return new GatewayError(
        'GW_UPSTREAM_TIMEOUT',
        `${service} (${host}) did not answer within ${timeoutMs} ms`,
        {
          hint: `${service} did not answer within ${timeoutMs} ms — raise \`timeout\` on the route or service, or make it faster`,
          cause: error,
        },
      );
    case 'bad-response':
      return new GatewayError(
        'GW_UPSTREAM_BAD_RESPONSE',
        `${service} (${host}) sent a malformed HTTP response`,
        { cause: error },
      );
    case 'tls':
      return upstreamTlsError(tlsFailureOf(error)!, target, service);
    case 'reset':
      return new GatewayError(
        'GW_UPSTREAM_RESET',
        `${service} (${host}) closed the connection before answering`,
        {
          // Over TLS 1.3 a server that refuses the client certificate just hangs up after the
          // handshake, which looks the same from here.
          hint: target.startsWith('https:')
            ? `${service} closed the connection before answering — did it crash, or does it refuse gw's client certificate (\`tls.cert\`, \`tls.key\`)?`
            : `${service} closed the connection before answering — did it crash?`,
          cause: error,
        },
      );
  }
}

/** Every target of the service is down (health checks, passive health): 503 with what to start. */
export function noHealthyTarget(pool: { name: string; targets: readonly { key: string }[] }): GatewayError {
  return new GatewayError('GW_NO_HEALTHY_TARGET', `No healthy target for service ${pool.name}`, {
    hint: `Every target of ${pool.name} is down (${pool.targets.map((t) => t.key).join(', ')}); start one of them.`,
  });
}

/** The target did not accept the connection (TCP, and TLS for https) within `connectTimeout`. */
export function connectTimeout(target: string, service: string, ms: number): GatewayError {
  const host = target.replace(/^https?:\/\//, '');
  return new GatewayError(
    'GW_UPSTREAM_CONNECT_TIMEOUT',
    `Could not connect to ${service} (${host}) within ${ms} ms`,
    {
      hint: `${host} did not accept the connection within ${ms} ms — is the address right and the service up? Raise \`connectTimeout\` if it is slow to accept.`,
    },
  );
}

/** The upstream sent its head, then nothing for `idleTimeout`. */
export function idleTimeout(target: string, service: string, ms: number): GatewayError {
  const host = target.replace(/^https?:\/\//, '');
  return new GatewayError(
    'GW_UPSTREAM_IDLE_TIMEOUT',
    `${service} (${host}) sent nothing for ${ms} ms mid-answer`,
    {
      hint: `${service} stalled in the middle of its answer for ${ms} ms — raise \`idleTimeout\` on the route or service for long silences (a stream that keeps sending never trips it).`,
    },
  );
}

/**
 * The client stopped sending its body for `idleTimeout` (RFC 9110 §15.5.9: 408). The connection
 * closes with the answer: the rest of the body may still come and cannot be told from a request.
 */
export function requestBodyTimeout(ms: number): GatewayError {
  return new GatewayError('GW_REQUEST_BODY_TIMEOUT', `The request body stopped arriving for ${ms} ms`, {
    headers: { connection: 'close' },
  });
}
