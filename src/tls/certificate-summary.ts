import { X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TlsPaths } from './tls-home.js';

/** What `gw cert info` shows of one certificate. */
export interface CertificateSummary {
  subject: string;
  names: string[];
  notBefore: string;
  notAfter: string;
  sha256: string;
  file: string;
  /** Leaves: whether gw's current CA signed it (false after the CA was replaced). */
  issuedByCa?: boolean;
}

export function summarize(certificate: X509Certificate, file: string): CertificateSummary {
  return {
    subject: certificate.subject.replace(/\n/g, ', '),
    names: (certificate.subjectAltName ?? '')
      .split(', ')
      .filter(Boolean)
      .map((entry) => entry.replace(/^(DNS|IP Address):/, '')),
    notBefore: new Date(certificate.validFrom).toISOString(),
    notAfter: new Date(certificate.validTo).toISOString(),
    sha256: certificate.fingerprint256,
    file,
  };
}

/** Every leaf file in GW_HOME that still reads, in name order. */
export async function summarizeLeaves(paths: TlsPaths, ca: X509Certificate): Promise<CertificateSummary[]> {
  const files = await readdir(paths.leavesDir).catch(() => [] as string[]);
  const summaries: CertificateSummary[] = [];
  for (const name of files.filter((f) => f.endsWith('.pem')).sort()) {
    const file = path.join(paths.leavesDir, name);
    try {
      const certificate = new X509Certificate(await readFile(file, 'utf8'));
      summaries.push({ ...summarize(certificate, file), issuedByCa: certificate.verify(ca.publicKey) });
    } catch {
      // A half-written or foreign file: the next use issues it again.
    }
  }
  return summaries;
}
