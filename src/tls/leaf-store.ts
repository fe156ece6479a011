import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { LocalCa } from './local-ca.js';
import { ensureDir, leafFile, writeFileAtomic, type TlsPaths } from './tls-home.js';
import { issueLeafCertificate, type PemPair } from './x509.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The CA/Browser Forum's cap for server certificates (and Apple's), which browsers may enforce. */
export const LEAF_VALIDITY_DAYS = 397;
/** A leaf with less left than this is issued again on its next use. */
export const RENEW_BEFORE_DAYS = 30;

/** The names of the leaf served to clients that send no SNI or ask for plain `localhost`. */
export const DEFAULT_LEAF_NAMES = ['localhost', '*.localhost', '127.0.0.1', '::1'] as const;

export interface Leaf extends PemPair {
  readonly names: readonly string[];
  readonly certificate: X509Certificate;
  readonly file: string;
  /** When it should be issued again (RENEW_BEFORE_DAYS before it expires), in ms since the epoch. */
  readonly renewAt: number;
  /** Whether this call issued it (or renewed it). */
  readonly issued: boolean;
}

const pemBlock = (label: string) =>
  new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----\\n?`);

function renewAtOf(certificate: X509Certificate): number {
  return new Date(certificate.validTo).getTime() - RENEW_BEFORE_DAYS * DAY_MS;
}

/** Every name in the certificate's SAN, as it would be written in the list it was issued for. */
function coversNames(certificate: X509Certificate, names: readonly string[]): boolean {
  const dns = new Set(
    (certificate.subjectAltName ?? '')
      .split(', ')
      .filter((entry) => entry.startsWith('DNS:'))
      .map((entry) => entry.slice(4)),
  );
  return names.every((name) => (isIP(name) ? certificate.checkIP(name) !== undefined : dns.has(name)));
}

/** The leaf on disk when it is ours to serve: signed by this CA, for these names, not due. */
async function readUsableLeaf(file: string, ca: LocalCa, names: readonly string[], now: Date) {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const cert = pemBlock('CERTIFICATE').exec(text)?.[0];
  const key = pemBlock('PRIVATE KEY').exec(text)?.[0];
  if (!cert || !key) return undefined;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    return undefined;
  }
  const fresh = now.getTime() < renewAtOf(certificate) && new Date(certificate.validFrom) <= now;
  if (!fresh || !certificate.verify(ca.certificate.publicKey) || !coversNames(certificate, names))
    return undefined;
  return { cert, key, certificate };
}

/**
 * The leaf for `names` (the first names its file): from disk when still good, else issued now
 * and written there (0600, atomically). A disk that refuses the write costs only the cache.
 */
export async function loadOrIssueLeaf(options: {
  paths: TlsPaths;
  ca: LocalCa;
  names: readonly string[];
  now: Date;
  /** Issue a new one even when the one on disk is still good (`gw cert renew`). */
  force?: boolean;
}): Promise<Leaf> {
  const { paths, ca, names, now } = options;
  const file = leafFile(paths, names[0]!);
  const existing = options.force ? undefined : await readUsableLeaf(file, ca, names, now);
  if (existing) return { ...existing, names, file, renewAt: renewAtOf(existing.certificate), issued: false };
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  const notAfter = new Date(notBefore.getTime() + LEAF_VALIDITY_DAYS * DAY_MS);
  const pair = await issueLeafCertificate({ ca, names, notBefore, notAfter });
  const certificate = new X509Certificate(pair.cert);
  try {
    await ensureDir(paths.leavesDir);
    await writeFileAtomic(file, pair.cert + pair.key, 0o600);
  } catch {
    // Served from memory this time; issued again next start.
  }
  return { ...pair, names, certificate, file, renewAt: renewAtOf(certificate), issued: true };
}
