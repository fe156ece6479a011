import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { GatewayError, type ConfigProblem } from '../errors.js';
import { formatPath } from '../config/format-issues.js';

/**
 * A service's `tls` files (`ca`, `cert`, `key`), read and checked when the config is resolved:
 * a missing or unreadable file, a file without PEM, an encrypted key or a key of another
 * certificate is a config problem naming the field, so `gw check` reports it and a reload that
 * breaks a file keeps the last good config serving. What was read is kept with the resolved
 * service (by object identity), so the build that follows does not read the files again.
 */

/** PEM texts of one service's `tls` files. */
export interface UpstreamTlsFiles {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

const readFiles = new WeakMap<object, UpstreamTlsFiles>();

const certificateBlock = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

type Read = { ok: true; text: string } | { ok: false; problem: ConfigProblem };

function readPem(file: string, at: string): Read {
  try {
    return { ok: true, text: readFileSync(file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem: ConfigProblem =
      code === 'ENOENT'
        ? { path: at, message: `no file at ${file}`, hint: "paths are relative to the config file's folder" }
        : code === 'EISDIR'
          ? { path: at, message: `${file} is a folder`, hint: 'name the PEM file itself' }
          : {
              path: at,
              message: `cannot read ${file} (${code ?? (error as Error).message})`,
              hint: `make it readable by the user gw runs as, e.g. \`chmod u+r ${file}\``,
            };
    return { ok: false, problem };
  }
}

/** Every certificate in a PEM text (a CA bundle may hold several); undefined if one is broken. */
function certificatesIn(text: string): X509Certificate[] | undefined {
  try {
    return (text.match(certificateBlock) ?? []).map((block) => new X509Certificate(block));
  } catch {
    return undefined;
  }
}

interface TlsFields {
  readonly ca?: unknown;
  readonly cert?: unknown;
  readonly key?: unknown;
  readonly servername?: unknown;
}

/** Reads and checks one service's files; `at` is the field path of its `tls`. */
function readServiceFiles(
  tls: TlsFields,
  at: string,
  baseDir: string,
  now: Date,
): { files: UpstreamTlsFiles; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const files: { ca?: string; cert?: string; key?: string } = {};
  const resolve = (file: string) => path.resolve(baseDir, file);

  if (typeof tls.servername === 'string' && isIP(tls.servername) !== 0)
    problems.push({
      path: `${at}.servername`,
      message: `${tls.servername} is an IP address`,
      hint: 'SNI carries host names only (RFC 6066 §3); leave servername out to verify the IP address of the target URL',
    });

  if (typeof tls.ca === 'string') {
    const file = resolve(tls.ca);
    const read = readPem(file, `${at}.ca`);
    if (!read.ok) problems.push(read.problem);
    else {
      const certificates = certificatesIn(read.text);
      if (certificates === undefined || certificates.length === 0)
        problems.push({
          path: `${at}.ca`,
          message: `${file} holds no PEM certificate`,
          hint: "expected '-----BEGIN CERTIFICATE-----': the CA's certificate, not its key",
        });
      else files.ca = read.text;
    }
  }

  const hasCert = typeof tls.cert === 'string';
  const hasKey = typeof tls.key === 'string';
  if (hasCert !== hasKey) {
    const missing = hasCert ? 'key' : 'cert';
    problems.push({
      path: `${at}.${missing}`,
      message: 'missing',
      expected: missing === 'key' ? 'the private key file of `cert`' : 'the certificate file of `key`',
      hint: "a client certificate needs both, e.g. { cert: './certs/client.pem', key: './certs/client-key.pem' }",
    });
    return { files, problems };
  }
  if (!hasCert) return { files, problems };

  const certFile = resolve(tls.cert as string);
  const keyFile = resolve(tls.key as string);
  const certRead = readPem(certFile, `${at}.cert`);
  const keyRead = readPem(keyFile, `${at}.key`);
  for (const read of [certRead, keyRead]) if (!read.ok) problems.push(read.problem);
  if (!certRead.ok || !keyRead.ok) return { files, problems };

  const certificate = certificatesIn(certRead.text)?.[0];
  if (!certificate)
    problems.push({
      path: `${at}.cert`,
      message: `${certFile} holds no PEM certificate`,
      hint: "expected '-----BEGIN CERTIFICATE-----'; did you swap cert and key?",
    });
  let key: KeyObject | undefined;
  try {
    key = createPrivateKey(keyRead.text);
  } catch (error) {
    const encrypted = /passphrase|encrypted/i.test((error as Error).message);
    problems.push({
      path: `${at}.key`,
      message: encrypted
        ? `${keyFile} is encrypted with a passphrase`
        : `${keyFile} holds no PEM private key`,
      hint: encrypted
        ? `gw needs an unencrypted key: \`openssl pkey -in ${keyFile} -out client-key.pem\``
        : "expected '-----BEGIN PRIVATE KEY-----' (or RSA/EC PRIVATE KEY); did you swap cert and key?",
    });
  }
  if (!certificate || !key) return { files, problems };
  if (!certificate.checkPrivateKey(key)) {
    problems.push({
      path: `${at}.key`,
      message: `${keyFile} is not the key of the certificate in ${certFile}`,
      hint: 'use the key written together with the client certificate',
    });
    return { files, problems };
  }
  const validTo = new Date(certificate.validTo);
  if (validTo.getTime() <= now.getTime()) {
    problems.push({
      path: `${at}.cert`,
      message: `the client certificate in ${certFile} expired on ${validTo.toISOString()}`,
      hint: 'issue a new client certificate; the upstream would refuse this one',
    });
    return { files, problems };
  }
  files.cert = certRead.text;
  files.key = keyRead.text;
  return { files, problems };
}

function hasHttpsTarget(targets: unknown): boolean {
  if (!Array.isArray(targets)) return true;
  return targets.some((target: unknown) => {
    const url =
      typeof target === 'string'
        ? target
        : target !== null && typeof target === 'object'
          ? (target as { url?: unknown }).url
          : undefined;
    return typeof url !== 'string' || /^https:/i.test(url);
  });
}

/**
 * The config problems of every service's `tls` (files, cross-field rules). Keeps what it read
 * with each service object, for `serviceTlsFiles` to hand to the build.
 */
export function checkUpstreamTls(config: unknown, baseDir: string, now = new Date()): ConfigProblem[] {
  if (config === null || typeof config !== 'object') return [];
  const services = (config as { services?: unknown }).services;
  if (services === null || typeof services !== 'object') return [];
  const problems: ConfigProblem[] = [];
  for (const [name, service] of Object.entries(services as Record<string, unknown>)) {
    if (service === null || typeof service !== 'object') continue;
    const tls = (service as { tls?: unknown }).tls;
    if (tls === null || typeof tls !== 'object' || Array.isArray(tls)) continue;
    const at = formatPath(['services', name, 'tls']);
    if (!hasHttpsTarget((service as { targets?: unknown }).targets)) {
      problems.push({
        path: at,
        message: `applies to https:// targets, and ${name} has none`,
        hint: 'use https:// target URLs, or remove tls',
      });
      continue;
    }
    const result = readServiceFiles(tls as TlsFields, at, baseDir, now);
    problems.push(...result.problems);
    if (result.problems.length === 0) readFiles.set(service, result.files);
  }
  return problems;
}

/**
 * The files of a resolved service's `tls`: those read when the config was resolved, or (for a
 * service built in code that did not go through resolveConfig) read now, relative to `baseDir`.
 */
export function serviceTlsFiles(
  name: string,
  service: { readonly tls?: TlsFields | undefined },
  baseDir: string,
): UpstreamTlsFiles {
  const known = readFiles.get(service);
  if (known) return known;
  if (service.tls === undefined) return {};
  const at = formatPath(['services', name, 'tls']);
  const { files, problems } = readServiceFiles(service.tls, at, baseDir, new Date());
  if (problems.length > 0) {
    const count = problems.length === 1 ? 'a problem' : `${problems.length} problems`;
    throw new GatewayError('GW_CONFIG_INVALID', `The TLS settings of service ${name} have ${count}`, {
      problems,
    });
  }
  readFiles.set(service, files);
  return files;
}
