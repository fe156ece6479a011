import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GatewayError, type ConfigProblem } from '../errors.js';

/**
 * `tls: { cert, key }`: the user's own certificate and key (from mkcert, say). Read and checked
 * at config load, so a missing file or a key of another certificate is a config error naming the
 * field, and a reload that breaks them keeps the last good files serving.
 */

export interface UserCertificate {
  /** PEM, as read (the chain included). */
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly validTo: Date;
}

interface Files {
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

type Read = { ok: true; text: string } | { ok: false; problem: ConfigProblem };

function readPem(file: string, at: string): Read {
  try {
    return { ok: true, text: readFileSync(file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem: ConfigProblem =
      code === 'ENOENT'
        ? {
            path: at,
            message: `no file at ${file}`,
            hint: "paths are relative to the config file's folder; create the file (e.g. `mkcert localhost`) or use tls: true for gw's own certificates",
          }
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

function parse(files: { cert: string; key: string }, now: Date): ConfigProblem[] | UserCertificate {
  const certRead = readPem(files.cert, 'tls.cert');
  const keyRead = readPem(files.key, 'tls.key');
  const problems = [certRead, keyRead].flatMap((r) => (r.ok ? [] : [r.problem]));
  if (!certRead.ok || !keyRead.ok) return problems;
  let certificate: X509Certificate | undefined;
  let key: KeyObject | undefined;
  try {
    certificate = new X509Certificate(certRead.text);
  } catch {
    problems.push({
      path: 'tls.cert',
      message: `${files.cert} holds no PEM certificate`,
      hint: "expected '-----BEGIN CERTIFICATE-----'; did you swap cert and key?",
    });
  }
  try {
    key = createPrivateKey(keyRead.text);
  } catch (error) {
    const encrypted = /passphrase|encrypted/i.test((error as Error).message);
    problems.push({
      path: 'tls.key',
      message: encrypted
        ? `${files.key} is encrypted with a passphrase`
        : `${files.key} holds no PEM private key`,
      hint: encrypted
        ? `gw needs an unencrypted key: \`openssl pkey -in ${files.key} -out dev-key.pem\``
        : "expected '-----BEGIN PRIVATE KEY-----' (or RSA/EC PRIVATE KEY); did you swap cert and key?",
    });
  }
  if (!certificate || !key) return problems;
  if (!certificate.checkPrivateKey(key)) {
    return [
      {
        path: 'tls.key',
        message: `${files.key} is not the key of the certificate in ${files.cert}`,
        hint: 'use the key written together with the certificate (mkcert writes NAME-key.pem beside NAME.pem)',
      },
    ];
  }
  const validTo = new Date(certificate.validTo);
  if (validTo.getTime() <= now.getTime()) {
    return [
      {
        path: 'tls.cert',
        message: `the certificate in ${files.cert} expired on ${validTo.toISOString()}`,
        hint: "issue a new one (e.g. `mkcert localhost`), or use tls: true for gw's own certificates, renewed for you",
      },
    ];
  }
  return { cert: certRead.text, key: keyRead.text, certFile: files.cert, keyFile: files.key, validTo };
}

/** Where the user's files are: relative to the config file's folder. */
export function userCertificateFiles(
  files: Files,
  baseDir: string,
): { cert: string; key: string } | undefined {
  if (files.cert === undefined || files.key === undefined) return undefined;
  return { cert: path.resolve(baseDir, files.cert), key: path.resolve(baseDir, files.key) };
}

/** The config problems of `tls` (cross-field and files); none when gw's own CA is used. */
export function checkTlsConfig(config: unknown, baseDir: string, now = new Date()): ConfigProblem[] {
  if (config === null || typeof config !== 'object') return [];
  const tls = (config as { tls?: unknown }).tls;
  if (tls === null || typeof tls !== 'object' || Array.isArray(tls)) return [];
  const { cert, key, hosts } = tls as Record<string, unknown>;
  if (typeof cert !== 'string' && typeof key !== 'string') return [];
  if (typeof cert !== 'string' || typeof key !== 'string') {
    const missing = typeof cert === 'string' ? 'key' : 'cert';
    return [
      {
        path: `tls.${missing}`,
        message: 'missing',
        expected: missing === 'key' ? 'the private key file of `cert`' : 'the certificate file of `key`',
        hint: "give both cert and key, e.g. { cert: './certs/dev.pem', key: './certs/dev-key.pem' }",
      },
    ];
  }
  const problems: ConfigProblem[] = [];
  if (hosts !== undefined)
    problems.push({
      path: 'tls.hosts',
      message: "names certificates from gw's local CA; with your own cert and key it is not used",
      hint: 'remove hosts, or remove cert and key to let gw issue the certificates',
    });
  const parsed = parse(userCertificateFiles({ cert, key }, baseDir)!, now);
  return Array.isArray(parsed) ? [...problems, ...parsed] : problems;
}

/**
 * Reads and checks the user's certificate and key for the listener (again, as the files may have
 * changed since the config load): GW_CONFIG_INVALID naming the field and file when unusable.
 */
export function loadUserCertificate(options: {
  cert: string;
  key: string;
  /** The config file's folder; relative paths start there. */
  baseDir?: string;
  /** The config file, for the error. */
  configFile?: string;
  now?: Date;
}): UserCertificate {
  const files = userCertificateFiles(options, options.baseDir ?? process.cwd())!;
  const parsed = parse(files, options.now ?? new Date());
  if (!Array.isArray(parsed)) return parsed;
  const file = options.configFile ?? files.cert;
  const count = parsed.length === 1 ? 'a problem' : `${parsed.length} problems`;
  throw new GatewayError('GW_CONFIG_INVALID', `The TLS certificate of ${file} has ${count}`, {
    file,
    problems: parsed,
  });
}
