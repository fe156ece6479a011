// tsyringe (inside @peculiar/x509) needs the Reflect metadata API before it loads.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * The one file that builds X.509 certificates (with @peculiar/x509 over Node's WebCrypto; never
 * hand-written ASN.1). Keys are ECDSA P-256 with SHA-256, as Caddy's local CA uses: every browser
 * and Node accept them, and a key takes well under a millisecond where RSA 2048 takes tens.
 */

x509.cryptoProvider.set(webcrypto);

const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface PemPair {
  /** PEM of the certificate. */
  readonly cert: string;
  /** PEM (PKCS #8) of its private key. */
  readonly key: string;
}

/** PEM ending in a newline, so that files holding a certificate and its key read back. */
const pem = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);

/** A positive 127-bit serial (RFC 5280 §4.1.2.2: unique per CA, at most 20 octets). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString('hex');
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']);
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return pem(x509.PemConverter.encode(der, 'PRIVATE KEY'));
}

async function importSigningKey(pem: string): Promise<webcrypto.CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey('pkcs8', der, keyAlgorithm, false, ['sign']);
}

/** A self-signed root that may sign end-entity certificates only (path length 0). */
export async function createCaCertificate(options: {
  commonName: string;
  notBefore: Date;
  notAfter: Date;
}): Promise<PemPair> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [options.commonName] }, { O: ['gw local development CA'] }],
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    keys,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: pem(cert.toString('pem')), key: await privateKeyPem(keys.privateKey) };
}

const ipLiteral = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)$/i;

/** A server certificate for `names` (DNS names and IP addresses), signed by the CA. */
export async function issueLeafCertificate(options: {
  ca: PemPair;
  names: readonly string[];
  notBefore: Date;
  notAfter: Date;
}): Promise<PemPair> {
  const caCert = new x509.X509Certificate(options.ca.cert);
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: [{ CN: [options.names[0]!] }, { O: ['gw local development'] }],
    issuer: caCert.subject,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: keys.publicKey,
    signingKey: await importSigningKey(options.ca.key),
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      // Browsers read only the SAN (RFC 6125 §6.4.4; Chrome ignores the CN since version 58).
      new x509.SubjectAlternativeNameExtension(
        options.names.map((name) => ({ type: ipLiteral.test(name) ? 'ip' : 'dns', value: name })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return { cert: pem(cert.toString('pem')), key: await privateKeyPem(keys.privateKey) };
}
