import { GatewayError } from '../errors.js';

/**
 * TLS failures to https:// targets, told apart by the codes Node and OpenSSL give them, each with
 * the service setting that fixes it. Without this table they surfaced as "connection reset — did
 * it crash?". `tlsCause` goes into the problem body so clients and tests can switch on it.
 */
export type TlsCause =
  | 'self-signed'
  | 'unknown-ca'
  | 'name-mismatch'
  | 'expired'
  | 'not-yet-valid'
  | 'untrusted'
  | 'client-cert-required'
  | 'client-cert-refused'
  | 'not-tls'
  | 'handshake';

const causeByCode: Record<string, TlsCause> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown-ca',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown-ca',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown-ca',
  ERR_TLS_CERT_ALTNAME_INVALID: 'name-mismatch',
  HOSTNAME_MISMATCH: 'name-mismatch',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not-yet-valid',
  CERT_UNTRUSTED: 'untrusted',
  CERT_REJECTED: 'untrusted',
  CERT_REVOKED: 'untrusted',
  CERT_SIGNATURE_FAILURE: 'untrusted',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'untrusted',
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'untrusted',
  INVALID_CA: 'untrusted',
  INVALID_PURPOSE: 'untrusted',
  PATH_LENGTH_EXCEEDED: 'untrusted',
  CERT_CHAIN_TOO_LONG: 'untrusted',
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 'untrusted',
  ERROR_IN_CERT_NOT_AFTER_FIELD: 'untrusted',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'client-cert-required',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'client-cert-refused',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'client-cert-refused',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'client-cert-refused',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'client-cert-refused',
  ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE: 'client-cert-refused',
  ERR_SSL_TLSV1_ALERT_ACCESS_DENIED: 'client-cert-refused',
  ERR_SSL_WRONG_VERSION_NUMBER: 'not-tls',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'not-tls',
  ERR_SSL_HTTP_REQUEST: 'not-tls',
};

/** EPROTO carries OpenSSL's reason only in its message. */
const causeByReason: ReadonlyArray<readonly [RegExp, TlsCause]> = [
  [/wrong version number|packet length too long|http request/i, 'not-tls'],
  [/alert certificate required/i, 'client-cert-required'],
  [
    /alert (unknown ca|bad certificate|certificate unknown|certificate expired|access denied)/i,
    'client-cert-refused',
  ],
];

/** Node's words for a peer that hung up inside the handshake (code ECONNRESET). */
const handshakeHangUp = /before secure TLS connection was established/;

interface TlsFailure {
  readonly cause: TlsCause;
  readonly code: string;
  readonly error: { code?: string; message?: string; host?: string; cert?: { subjectaltname?: string } };
}

/** What went wrong in TLS, or undefined when `error` is not a TLS failure. */
export function tlsFailureOf(error: unknown): TlsFailure | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const failure = error as TlsFailure['error'];
  const code = failure.code ?? '';
  const message = failure.message ?? '';
  let cause: TlsCause | undefined = causeByCode[code];
  if (cause === undefined && code === 'EPROTO')
    cause = causeByReason.find(([pattern]) => pattern.test(message))?.[1] ?? 'handshake';
  if (cause === undefined && (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')))
    cause = 'handshake';
  if (cause === undefined && code === 'ECONNRESET' && handshakeHangUp.test(message)) cause = 'handshake';
  return cause === undefined ? undefined : { cause, code, error: failure };
}

/** The certificate's names, as Node reports them ('DNS:localhost, IP Address:127.0.0.1'). */
function namesOf(failure: TlsFailure): string | undefined {
  const names = failure.error.cert?.subjectaltname;
  return names ? names.replace(/\b(DNS|IP Address):/g, '') : undefined;
}

/** One line on what failed, for the problem detail and the health check's reason. */
export function describeTlsFailure(failure: TlsFailure): string {
  switch (failure.cause) {
    case 'self-signed':
      return 'presented a self-signed certificate gw does not trust';
    case 'unknown-ca':
      return 'presented a certificate from a CA gw does not trust';
    case 'name-mismatch': {
      const names = namesOf(failure);
      const host = failure.error.host ?? 'the name gw asked for';
      return `presented a certificate for ${names ?? 'other names'}, not for ${host}`;
    }
    case 'expired':
      return 'presented an expired certificate';
    case 'not-yet-valid':
      return 'presented a certificate that is not valid yet';
    case 'untrusted':
      return `presented a certificate gw cannot accept (${failure.code})`;
    case 'client-cert-required':
      return 'asks for a client certificate and gw has none';
    case 'client-cert-refused':
      return "refused gw's client certificate";
    case 'not-tls':
      return 'does not speak TLS on this port';
    case 'handshake':
      return `failed the TLS handshake (${failure.error.message ?? failure.code})`;
  }
}

/** What to change in the service's config. */
function hintFor(failure: TlsFailure, service: string): string {
  switch (failure.cause) {
    case 'self-signed':
    case 'unknown-ca':
      return `trust its CA with \`tls.ca\` on service ${service} (the CA's PEM file; for a self-signed certificate, the certificate itself), or skip verification with \`tls.insecure: true\``;
    case 'name-mismatch': {
      const names = namesOf(failure);
      return `set \`tls.servername\` on service ${service} to a name the certificate holds${names ? ` (${names})` : ''}, or target it by that name`;
    }
    case 'expired':
    case 'not-yet-valid':
      return `renew the upstream's certificate (or check the clock); \`tls.insecure: true\` on service ${service} skips verification`;
    case 'untrusted':
      return `trust the CA that issued it with \`tls.ca\` on service ${service}, or skip verification with \`tls.insecure: true\``;
    case 'client-cert-required':
      return `give service ${service} a client certificate the upstream accepts: \`tls.cert\` and \`tls.key\``;
    case 'client-cert-refused':
      return `the upstream does not accept the client certificate in \`tls.cert\` of service ${service}: use one signed by a CA it trusts`;
    case 'not-tls':
      return `use an http:// target URL for it, or the port where ${service} serves TLS`;
    case 'handshake':
      return `check that ${service} serves TLS there; if it asks for a client certificate, set \`tls.cert\` and \`tls.key\``;
  }
}

/** 502 GW_UPSTREAM_TLS for a failed TLS connection to `target` of `service`. */
export function upstreamTlsError(failure: TlsFailure, target: string, service: string): GatewayError {
  const host = target.replace(/^https?:\/\//, '');
  return new GatewayError('GW_UPSTREAM_TLS', `${service} (${host}) ${describeTlsFailure(failure)}`, {
    hint: hintFor(failure, service),
    cause: failure.error,
    extensions: { tlsCause: failure.cause },
  });
}
