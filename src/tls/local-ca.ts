import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GatewayError } from '../errors.js';
import { ensureDir, type TlsPaths } from './tls-home.js';
import { createCaCertificate, type PemPair } from './x509.js';

/** A root lives long (as mkcert's does): trusting it again is a manual step in every store. */
const CA_YEARS = 10;

export interface LocalCa extends PemPair {
  readonly certificate: X509Certificate;
  /** Whether this call created it. */
  readonly created: boolean;
}

function caCommonName(): string {
  let user = 'user';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the name is only a label.
  }
  return `gw local CA ${user}@${os.hostname()}`;
}

function unusable(file: string, why: string, cause?: unknown): GatewayError {
  return new GatewayError('GW_TLS_CA_INVALID', `gw's local CA in ${file} cannot be used: ${why}`, {
    file,
    cause,
    hint: `Remove ${path.dirname(file)} to let gw create a new CA, then run \`gw cert trust\` again.`,
  });
}

function unwritable(dir: string, cause: unknown): GatewayError {
  const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
  return new GatewayError('GW_TLS_HOME_UNWRITABLE', `gw cannot write its certificates to ${dir} (${code})`, {
    file: dir,
    cause,
  });
}

async function readCa(paths: TlsPaths): Promise<LocalCa | undefined> {
  let cert: string;
  let key: string;
  try {
    cert = await readFile(paths.caCert, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unusable(paths.caCert, (error as Error).message, error);
  }
  try {
    key = await readFile(paths.caKey, 'utf8');
  } catch (error) {
    throw unusable(paths.caKey, (error as Error).message, error);
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (error) {
    throw unusable(paths.caCert, 'it holds no PEM certificate', error);
  }
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(key)))
      throw unusable(paths.caKey, 'the key does not belong to ca.pem');
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw unusable(paths.caKey, 'it holds no PEM private key', error);
  }
  if (!certificate.ca) throw unusable(paths.caCert, 'it is not a CA certificate');
  return { cert, key, certificate, created: false };
}

/**
 * gw's CA: read from GW_HOME, or created there on first use. Creation writes both files into a
 * fresh folder and renames it into place, so two gw processes starting at once agree on one CA
 * (the second rename fails and that process reads the winner's).
 */
export async function loadOrCreateCa(paths: TlsPaths, now: Date): Promise<LocalCa> {
  const existing = await readCa(paths);
  if (existing) return existing;
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_YEARS);
  const pair = await createCaCertificate({ commonName: caCommonName(), notBefore, notAfter });
  const temp = `${paths.caDir}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await ensureDir(temp);
    await writeFile(path.join(temp, path.basename(paths.caKey)), pair.key, { mode: 0o600, flag: 'wx' });
    await writeFile(path.join(temp, path.basename(paths.caCert)), pair.cert, { mode: 0o644, flag: 'wx' });
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw unwritable(paths.dir, error);
  }
  try {
    await rename(temp, paths.caDir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw unwritable(paths.dir, error);
    const winner = await readCa(paths);
    if (!winner) throw unusable(paths.caCert, 'another gw process is creating it; try again', error);
    return winner;
  }
  return { ...pair, certificate: new X509Certificate(pair.cert), created: true };
}
