import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResolvedConfig } from '../config/schema.js';
import { GatewayError } from '../errors.js';
import { loadUserCertificate } from '../tls/user-certificate.js';
import type { GatewayServerTls } from './gateway-server.js';

export interface ListenerTlsOptions {
  /** `gw dev --https`: TLS from gw's local CA even when the config has no `tls`. */
  https?: boolean;
  configDir: string;
  configFile?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * The certificates the port serves with, or undefined for plain HTTP: the user's own files
 * (`tls: { cert, key }`, checked again as they may have changed since the config load), else
 * gw's local CA with a leaf per SNI name (`tls: true`, `{ hosts }`, or `--https`), which issues
 * for localhost, `*.localhost`, `tls.hosts` and every route `host`.
 */
export async function resolveListenerTls(
  config: ResolvedConfig,
  options: ListenerTlsOptions,
): Promise<GatewayServerTls | undefined> {
  const tls =
    config.tls === undefined || config.tls === false ? (options.https ? true : undefined) : config.tls;
  if (tls === undefined) return undefined;
  if (typeof tls === 'object' && tls.cert !== undefined && tls.key !== undefined) {
    const own = loadUserCertificate({
      cert: tls.cert,
      key: tls.key,
      baseDir: options.configDir,
      configFile: options.configFile,
    });
    return { cert: own.cert, key: own.key };
  }
  const routeHosts = config.routes.flatMap((route) => (route.host === undefined ? [] : [route.host]));
  // The local CA's X.509 library takes about a second to import: only a TLS start pays for it.
  const { createSniCallback } = await import('../tls/sni-callback.js');
  const local = await createSniCallback({
    env: options.env,
    hosts: [...(typeof tls === 'object' ? (tls.hosts ?? []) : []), ...routeHosts],
  });
  return { ...local.defaultCertificate(), SNICallback: local.SNICallback };
}

/** The port to redirect from: the option, else `tls.redirectHttpFrom` when the config has one. */
export function redirectPortOf(config: ResolvedConfig, override: number | undefined): number | undefined {
  if (override !== undefined) return override;
  return typeof config.tls === 'object' ? config.tls.redirectHttpFrom : undefined;
}

/**
 * `tls.redirectHttpFrom`: a plain HTTP listener on another port that answers every request with
 * 308 to the same path on the HTTPS port (308 keeps the method and body, RFC 9110 §15.4.9).
 * The host name comes from the request's Host, so `http://app.localhost:8080/x` goes to
 * `https://app.localhost:8443/x`; a request without a usable Host goes to the bind address.
 */
export async function startHttpsRedirect(options: {
  port: number;
  host: string;
  httpsPort: number;
}): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const hostHeader = req.headers.host ?? '';
    const name = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::\d+)?$/i.exec(hostHeader)?.[1] ?? options.host;
    const shown = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
    const location = `https://${shown}:${options.httpsPort}${req.url?.startsWith('/') ? req.url : '/'}`;
    res.writeHead(308, { location, 'content-length': 0, 'cache-control': 'no-store' });
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new GatewayError('GW_PORT_IN_USE', `Port ${options.port} on ${options.host} is already in use`, {
              cause: error,
              hint: 'Choose another tls.redirectHttpFrom port, or stop what listens there.',
            })
          : error,
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
