// tsyringe (inside @peculiar/x509) needs the Reflect metadata API before it loads.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';

/**
 * Certificates for upstream TLS tests, made with @peculiar/x509: a test CA, server leaves signed
 * by it (or self-signed, expired, for other names), client certificates for mTLS, and a folder of
 * PEM files to point a service's `tls` at.
 */

x509.cryptoProvider.set(webcrypto);

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

export interface TestCa extends Pem {
  readonly keys: webcrypto.CryptoKeyPair;
  readonly certificate: x509.X509Certificate;
}

const serial = () => randomBytes(8).toString('hex').replace(/^./, '1');

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

function altNames(names: readonly string[]) {
  return new x509.SubjectAlternativeNameExtension(
    names.map((value) => ({ type: /^[\d.]+$|:/.test(value) ? ('ip' as const) : ('dns' as const), value })),
  );
}

export async function createTestCa(name = 'gw upstream test CA'): Promise<TestCa> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - HOUR),
    notAfter: new Date(Date.now() + DAY),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { cert: certificate.toString('pem'), key: await keyPem(keys.privateKey), keys, certificate };
}

/** A leaf signed by `ca` for `names` (DNS names and IP addresses). */
export async function issueCertificate(
  ca: TestCa,
  names: readonly string[],
  options: { client?: boolean; expired?: boolean } = {},
): Promise<Pem> {
  const keys = await generateKeys();
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${names[0]}`,
    issuer: ca.certificate.subject,
    notBefore: new Date(options.expired ? now - 3 * DAY : now - HOUR),
    notAfter: new Date(options.expired ? now - DAY : now + DAY),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.ExtendedKeyUsageExtension([
        options.client ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth,
      ]),
      altNames(names),
    ],
  });
  return { cert: certificate.toString('pem'), key: await keyPem(keys.privateKey) };
}

/** A server certificate that signs itself (no CA): what `openssl req -x509` makes. */
export async function selfSignedCertificate(names: readonly string[]): Promise<Pem> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${names[0]}`,
    notBefore: new Date(Date.now() - HOUR),
    notAfter: new Date(Date.now() + DAY),
    keys,
    signingAlgorithm: algorithm,
    extensions: [altNames(names)],
  });
  return { cert: certificate.toString('pem'), key: await keyPem(keys.privateKey) };
}

/** A temporary folder of PEM files: `write('ca.pem', text)` returns the file's absolute path. */
export async function createCertDir(): Promise<{
  dir: string;
  write(name: string, text: string): Promise<string>;
  remove(): Promise<void>;
}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-upstream-tls-'));
  return {
    dir,
    async write(name, text) {
      const file = path.join(dir, name);
      await writeFile(file, text);
      return file;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
