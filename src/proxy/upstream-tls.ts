import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';
import tls, { type SecureContext } from 'node:tls';
import { tlsPaths } from '../tls/tls-home.js';
import { connectOptions } from './keep-alive-agent.js';
import type { UpstreamTlsFiles } from './upstream-tls-files.js';

/**
 * How gw speaks TLS to one service's https:// targets, built once per config load and shared by
 * the HTTP/1.1 agents, the HTTP/2 sessions, WebSocket upgrades and health probes.
 *
 * Trusted: Node's CA store (and NODE_EXTRA_CA_CERTS), gw's own local CA (so an upstream served
 * with a certificate from `gw cert` works as is), and the service's `tls.ca`. Node's `ca` option
 * replaces its store rather than adding to it, hence the explicit list; it is parsed into one
 * SecureContext here, not on every connection.
 *
 * The name verified, and sent as SNI, is `tls.servername` or the target URL's host — never the
 * client's Host, which Node's agent would use by default: whether a certificate is accepted must
 * not depend on what a client sent. An IP literal gets no SNI (RFC 6066 §3) and is verified
 * against the certificate's IP addresses.
 */
export interface UpstreamTls {
  /** Equal for equal settings and file contents: agents and sessions are pooled by it. */
  readonly id: string;
  readonly secureContext: SecureContext;
  readonly rejectUnauthorized: boolean;
  /** `tls.servername`, when set. */
  readonly servername: string | undefined;
}

/** The TLS settings of one https:// target, as node:tls, node:https and node:http2 take them. */
export interface TargetTls {
  readonly id: string;
  readonly secureContext: SecureContext;
  readonly rejectUnauthorized: boolean;
  /** SNI and the name verified; '' for an IP literal without `tls.servername` (no SNI). */
  readonly servername: string;
}

export interface ServiceTlsSettings {
  readonly servername?: string | undefined;
  readonly insecure?: boolean | undefined;
}

/** Reads a PEM file that may be absent: gw's CA exists only once gw created it. */
function readOptional(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The CAs every https:// target is verified against, read once per config load (the first call
 * of the returned function reads them): Node's store, NODE_EXTRA_CA_CERTS, gw's local CA.
 */
export function createUpstreamTlsFactory(env: NodeJS.ProcessEnv = process.env) {
  let common: { cas: string[]; digest: string } | undefined;
  const commonCas = () => {
    if (common) return common;
    const extra = [readOptional(env.NODE_EXTRA_CA_CERTS), readOptional(tlsPaths(env).caCert)];
    const cas = [...tls.rootCertificates, ...extra.filter((pem): pem is string => pem !== undefined)];
    common = { cas, digest: createHash('sha256').update(cas.join('')).digest('base64url') };
    return common;
  };

  return function upstreamTls(
    settings: ServiceTlsSettings | undefined,
    files: UpstreamTlsFiles,
  ): UpstreamTls {
    const { cas: commonList, digest } = commonCas();
    const cas = files.ca === undefined ? commonList : [...commonList, files.ca];
    const rejectUnauthorized = settings?.insecure !== true;
    const servername = settings?.servername;
    const id = createHash('sha256')
      .update(
        JSON.stringify([
          digest,
          files.ca ?? '',
          files.cert ?? '',
          files.key ?? '',
          rejectUnauthorized,
          servername ?? '',
        ]),
      )
      .digest('base64url');
    const secureContext = tls.createSecureContext({
      ca: cas,
      ...(files.cert === undefined ? {} : { cert: files.cert, key: files.key }),
    });
    return { id, secureContext, rejectUnauthorized, servername };
  };
}

/** The settings of one target of the service. */
export function targetTls(upstream: UpstreamTls, url: URL): TargetTls {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const servername = upstream.servername ?? (isIP(host) === 0 ? host : '');
  return {
    id: upstream.id,
    secureContext: upstream.secureContext,
    rejectUnauthorized: upstream.rejectUnauthorized,
    servername,
  };
}

const upgradeAgents = new WeakMap<TargetTls, HttpsAgent>();

/**
 * The agent for WebSocket upgrades to one https:// target: no keep-alive (an upgraded socket is
 * never reused), its TLS settings, and its SNI name fixed on the agent, since the proxy library
 * passes no servername and Node would take the client's Host.
 */
export function upgradeAgentOf(tls: TargetTls): HttpsAgent {
  let agent = upgradeAgents.get(tls);
  if (!agent) {
    agent = new HttpsAgent({
      ...connectOptions,
      secureContext: tls.secureContext,
      rejectUnauthorized: tls.rejectUnauthorized,
      servername: tls.servername,
    });
    upgradeAgents.set(tls, agent);
  }
  return agent;
}
