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
 * with a certificate from `gw cert` works as is), and the service's `tls.ca`, added to the store
 * rather than replacing it (trustingAlso), in one SecureContext built here, not per connection.
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

/** The native context's method that adds CAs (PEM, bundles too) to this context's own store. */
function nativeAddCaCert(context: SecureContext): ((pem: string) => void) | undefined {
  const native: unknown = context.context;
  if (native === null || typeof native !== 'object' || !('addCACert' in native)) return undefined;
  const add = native.addCACert;
  return typeof add === 'function' ? (pem: string) => void add.call(native, pem) : undefined;
}

/**
 * A context trusting Node's store plus `extra` CAs. Node's `ca` option replaces the store, and
 * parsing its ~150 roots costs ~110 ms per context on the bench machine; adding the extra CAs to
 * a default context costs ~3 ms (Node copies its root store for the context before adding, so the
 * process-wide store is untouched). Where the native context lacks addCACert, the documented list.
 */
function trustingAlso(
  extra: readonly string[],
  clientCertificate: { cert: string; key: string } | undefined,
  env: NodeJS.ProcessEnv,
): SecureContext {
  const context = tls.createSecureContext(clientCertificate ?? {});
  const add = nativeAddCaCert(context);
  if (add) {
    for (const pem of extra) add(pem);
    return context;
  }
  const nodeExtra = readOptional(env.NODE_EXTRA_CA_CERTS);
  const ca = [...tls.rootCertificates, ...(nodeExtra === undefined ? [] : [nodeExtra]), ...extra];
  return tls.createSecureContext({ ...clientCertificate, ca });
}

/**
 * The TLS settings of each service with https:// targets, built once per config load; gw's
 * local CA is read once per factory (the first call).
 */
export function createUpstreamTlsFactory(env: NodeJS.ProcessEnv = process.env) {
  let localCa: { pem: string | undefined } | undefined;
  const localCaPem = () => (localCa ??= { pem: readOptional(tlsPaths(env).caCert) }).pem;

  return function upstreamTls(
    settings: ServiceTlsSettings | undefined,
    files: UpstreamTlsFiles,
  ): UpstreamTls {
    const extra = [localCaPem(), files.ca].filter((pem): pem is string => pem !== undefined);
    const rejectUnauthorized = settings?.insecure !== true;
    const servername = settings?.servername;
    const id = createHash('sha256')
      .update(
        JSON.stringify([extra, files.cert ?? '', files.key ?? '', rejectUnauthorized, servername ?? '']),
      )
      .digest('base64url');
    const clientCertificate =
      files.cert !== undefined && files.key !== undefined ? { cert: files.cert, key: files.key } : undefined;
    const secureContext = trustingAlso(extra, clientCertificate, env);
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
