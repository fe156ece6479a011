import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { checkServerIdentity, type TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { LEAF_VALIDITY_DAYS } from '../../src/tls/leaf-store.js';
import { createSniCallback, type LocalCertificates } from '../../src/tls/sni-callback.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const DAY = 24 * 60 * 60 * 1000;

async function tempHome(): Promise<string> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'gw-home-'));
  cleanup.push(() => rm(home, { recursive: true, force: true }));
  return home;
}

/** An HTTP/2 server with HTTP/1.1 fallback (ALPN h2, http/1.1) using the SNI callback. */
async function startServer(certs: LocalCertificates): Promise<number> {
  const server = http2.createSecureServer(
    {
      ...certs.defaultCertificate(),
      SNICallback: certs.SNICallback,
      allowHTTP1: true,
      ALPNProtocols: ['h2', 'http/1.1'],
    },
    (req, res) => res.end(`hello ${req.httpVersion}`),
  );
  const sockets = new Set<Socket>();
  server.on('secureConnection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Sessions the clients left open end with the test.
        for (const socket of sockets) socket.destroy();
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** An HTTPS/1.1 request to 127.0.0.1 that asks for `name` by SNI and verifies against `ca`. */
function get(port: number, name: string, ca: string | undefined) {
  return new Promise<{ body: string; san: string; fingerprint: string }>((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        // Node sends no SNI for an IP address, and checks the IP SAN instead.
        servername: name === '127.0.0.1' ? undefined : name,
        headers: { host: name },
        ca,
        agent: false,
        // Without `ca`, the default roots (which do not hold gw's CA).
        ...(ca === undefined ? {} : { ca }),
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const peer = socket.getPeerCertificate();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({ body, san: peer.subjectaltname ?? '', fingerprint: peer.fingerprint256 }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('local CA and SNI certificates, verified by a real TLS client', () => {
  it('localhost, app.localhost, x.preview.localhost and 127.0.0.1 verify against the CA over http/1.1 and h2', async () => {
    const home = await tempHome();
    const certs = await createSniCallback({ env: { GW_HOME: home } });
    const port = await startServer(certs);
    const ca = certs.ca.cert;

    const cases: Array<[string, string]> = [
      ['localhost', 'DNS:localhost, DNS:*.localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1'],
      ['app.localhost', 'DNS:app.localhost'],
      ['x.preview.localhost', 'DNS:x.preview.localhost'],
      ['127.0.0.1', 'DNS:localhost, DNS:*.localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1'],
    ];
    for (const [name, san] of cases) {
      const answer = await get(port, name, ca);
      expect(answer.body).toBe('hello 1.1');
      expect(answer.san).toBe(san);
    }

    for (const name of ['localhost', 'app.localhost', 'x.preview.localhost']) {
      const session = http2.connect(`https://127.0.0.1:${port}`, { ca, servername: name });
      cleanup.push(async () => void session.destroy());
      const body = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ':path': '/', ':authority': name });
        let text = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => (text += chunk));
        stream.on('end', () => resolve(text));
        stream.on('error', reject);
      });
      expect(session.alpnProtocol).toBe('h2');
      expect(body).toBe('hello 2.0');
      session.close();
    }
  });

  it('a client that does not trust the CA, or asks for a name gw does not issue, is refused', async () => {
    const home = await tempHome();
    const certs = await createSniCallback({ env: { GW_HOME: home } });
    const port = await startServer(certs);
    await expect(get(port, 'app.localhost', undefined)).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    // Not localhost, not under .localhost, not in tls.hosts or a route: the default leaf, which does not name it.
    await expect(get(port, 'evil.test', certs.ca.cert)).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    // Why each name gets a leaf of its own: Node refuses `*.localhost` for app.localhost.
    const wildcardOnly = new X509Certificate(certs.defaultCertificate().cert);
    expect(checkServerIdentity('app.localhost', wildcardOnly.toLegacyObject())).toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    // The CA of another gw home does not verify this one's leaves.
    const other = await createSniCallback({ env: { GW_HOME: await tempHome() } });
    await expect(get(port, 'localhost', other.ca.cert)).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
  });

  it('names from tls.hosts and route hosts (wildcards too) get leaves of their own', async () => {
    const certs = await createSniCallback({
      env: { GW_HOME: await tempHome() },
      hosts: ['shop.test', '*.preview.test'],
    });
    const port = await startServer(certs);
    expect((await get(port, 'shop.test', certs.ca.cert)).san).toBe('DNS:shop.test');
    expect((await get(port, 'Feature.Preview.test', certs.ca.cert)).san).toBe('DNS:feature.preview.test');
  });
});

describe('which names get a leaf', () => {
  it('a wildcard, a path-like or a foreign name gets the default leaf, as does any name past maxLeaves', async () => {
    const home = await tempHome();
    const certs = await createSniCallback({ env: { GW_HOME: home }, maxLeaves: 3 });
    for (const name of ['*.localhost', '../x.localhost', 'a/b.localhost', 'evil.test', 'LOCALHOST.'])
      expect((await certs.leafFor(name)).names).toEqual(['localhost', '*.localhost', '127.0.0.1', '::1']);
    const port = await startServer(certs);
    for (const name of ['a.localhost', 'b.localhost']) {
      expect((await get(port, name, certs.ca.cert)).san).toBe(`DNS:${name}`);
    }
    // Three leaves held (the default and two names): a third name is served the default leaf.
    await expect(get(port, 'c.localhost', certs.ca.cert)).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    expect((await readdir(path.join(home, 'tls', 'leaves'))).sort()).toEqual([
      'a.localhost.pem',
      'b.localhost.pem',
      'localhost.pem',
    ]);
  });
});

describe('the CA and leaves on disk', () => {
  it('are created in GW_HOME on first use (keys 0600) and reused by the next process', async () => {
    const home = await tempHome();
    const first = await createSniCallback({ env: { GW_HOME: home } });
    expect(first.ca.created).toBe(true);
    const app = await first.leafFor('app.localhost');
    expect(app.issued).toBe(true);
    const tls = path.join(home, 'tls');
    expect((await stat(path.join(tls, 'ca', 'ca-key.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(tls, 'leaves', 'app.localhost.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(tls)).mode & 0o077).toBe(0);
    expect((await readdir(path.join(tls, 'leaves'))).sort()).toEqual(['app.localhost.pem', 'localhost.pem']);

    const second = await createSniCallback({ env: { GW_HOME: home } });
    expect(second.ca.created).toBe(false);
    expect(second.ca.certificate.fingerprint256).toBe(first.ca.certificate.fingerprint256);
    const again = await second.leafFor('app.localhost');
    expect(again.issued).toBe(false);
    expect(again.certificate.fingerprint256).toBe(app.certificate.fingerprint256);
    // The leaf file holds the certificate and its key, and the certificate chains to the CA.
    const text = await readFile(app.file, 'utf8');
    expect(text).toContain('-----BEGIN PRIVATE KEY-----');
    expect(new X509Certificate(text).verify(first.ca.certificate.publicKey)).toBe(true);
  });

  it('two processes starting on an empty GW_HOME at once agree on one CA', async () => {
    const home = await tempHome();
    const [a, b] = await Promise.all([
      createSniCallback({ env: { GW_HOME: home } }),
      createSniCallback({ env: { GW_HOME: home } }),
    ]);
    expect(a.ca.certificate.fingerprint256).toBe(b.ca.certificate.fingerprint256);
    expect([a.ca.created, b.ca.created].filter(Boolean)).toHaveLength(1);
  });

  it('a CA file that is not a certificate is GW_TLS_CA_INVALID naming the file', async () => {
    const home = await tempHome();
    await createSniCallback({ env: { GW_HOME: home } });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(home, 'tls', 'ca', 'ca.pem'), 'not a certificate');
    await expect(createSniCallback({ env: { GW_HOME: home } })).rejects.toMatchObject({
      code: 'GW_TLS_CA_INVALID',
      file: path.join(home, 'tls', 'ca', 'ca.pem'),
    });
  });
});

describe('renewal (fake clock, real certificates)', () => {
  it(`leaves live at most ${LEAF_VALIDITY_DAYS} days and are issued again when under 30 days remain`, async () => {
    const home = await tempHome();
    const start = Date.parse('2027-01-01T00:00:00Z');
    let clock = start;
    const certs = await createSniCallback({ env: { GW_HOME: home }, now: () => new Date(clock) });
    const first = await certs.leafFor('app.localhost');
    const from = Date.parse(first.certificate.validFrom);
    const to = Date.parse(first.certificate.validTo);
    expect(to - from).toBeLessThanOrEqual(LEAF_VALIDITY_DAYS * DAY);
    expect(from).toBeLessThanOrEqual(start);

    // 31 days left: still the same leaf, in this process and from disk in a new one.
    clock = to - 31 * DAY;
    expect((await certs.leafFor('app.localhost')).certificate.serialNumber).toBe(
      first.certificate.serialNumber,
    );
    const later = await createSniCallback({ env: { GW_HOME: home }, now: () => new Date(clock) });
    expect((await later.leafFor('app.localhost')).issued).toBe(false);

    // 29 days left: a new leaf, valid from about now, written for the next process.
    clock = to - 29 * DAY;
    const renewed = await certs.leafFor('app.localhost');
    expect(renewed.issued).toBe(true);
    expect(renewed.certificate.serialNumber).not.toBe(first.certificate.serialNumber);
    expect(Date.parse(renewed.certificate.validTo)).toBeGreaterThan(clock + 300 * DAY);
    expect(renewed.certificate.verify(certs.ca.certificate.publicKey)).toBe(true);
    const onDisk = new X509Certificate(await readFile(renewed.file, 'utf8'));
    expect(onDisk.serialNumber).toBe(renewed.certificate.serialNumber);

    // The default leaf renews the same way, and the server gets it for setSecureContext.
    const defaultBefore = new X509Certificate(certs.defaultCertificate().cert).serialNumber;
    await certs.leafFor('localhost');
    expect(new X509Certificate(certs.defaultCertificate().cert).serialNumber).not.toBe(defaultBefore);
  });
});
