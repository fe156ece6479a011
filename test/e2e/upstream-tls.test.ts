import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { loadOrCreateCa } from '../../src/tls/local-ca.js';
import { tlsPaths } from '../../src/tls/tls-home.js';
import { issueLeafCertificate } from '../../src/tls/x509.js';
import { startTestGateway } from '../helpers/gateway.js';
import { request, type RawResponse } from '../helpers/http.js';
import {
  createCertDir,
  createTestCa,
  issueCertificate,
  selfSignedCertificate,
  type Pem,
  type TestCa,
} from './upstream-tls-certs.js';

/**
 * TLS to https:// upstreams over HTTP/1.1: real https servers on 127.0.0.1 with certificates made
 * in the test, a real gateway in front, and what the client got and the upstream saw.
 */

type ServiceInput = NonNullable<GatewayConfigInput['services']>[string];

interface Seen {
  host: string | undefined;
  servername: string | false | null | undefined;
  clientCert: string | string[] | undefined;
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

let certs: Awaited<ReturnType<typeof createCertDir>>;
let ca: TestCa;
let otherCa: TestCa;
let caFile: string;
beforeAll(async () => {
  certs = await createCertDir();
  ca = await createTestCa();
  otherCa = await createTestCa('another CA');
  caFile = await certs.write('ca.pem', ca.cert);
});
afterAll(() => certs.remove());

async function httpsUpstream(pem: Pem, options: https.ServerOptions = {}) {
  const seen: Seen[] = [];
  const server = https.createServer({ ...pem, ...options }, (req, res) => {
    const socket = req.socket as TLSSocket;
    const peer = options.requestCert ? socket.getPeerCertificate() : undefined;
    seen.push({ host: req.headers.host, servername: socket.servername, clientCert: peer?.subject?.CN });
    res.end('served over TLS');
  });
  // A refused handshake is the point of several tests, not a failure of the server.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port, url: `https://127.0.0.1:${port}`, seen };
}

async function through(service: ServiceInput, headers?: http.OutgoingHttpHeaders): Promise<RawResponse> {
  const gw = await startTestGateway({
    services: { billing: service },
    routes: [{ path: '/api', service: 'billing' }],
  });
  cleanup.push(() => gw.close());
  return request(gw.url, '/api/invoices', { headers });
}

function expectTlsRefusal(res: RawResponse, cause: string): void {
  expect(res.status).toBe(502);
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(res.json).toMatchObject({ code: 'GW_UPSTREAM_TLS', tlsCause: cause });
}

describe('https:// upstreams verify their certificate', () => {
  it('refuses a self-signed upstream with GW_UPSTREAM_TLS naming tls.ca, and serves it with tls.ca', async () => {
    const pem = await selfSignedCertificate(['127.0.0.1']);
    const up = await httpsUpstream(pem);

    const refused = await through({ targets: [up.url] });
    expectTlsRefusal(refused, 'self-signed');
    expect(refused.json!.hint).toMatch(/tls\.ca/);
    expect(up.seen).toHaveLength(0);

    // The self-signed certificate is its own CA.
    const served = await through({ targets: [up.url], tls: { ca: await certs.write('self.pem', pem.cert) } });
    expect(served.status).toBe(200);
    expect(served.body).toBe('served over TLS');
    expect(up.seen).toHaveLength(1);
  });

  it('refuses a certificate from an unknown CA, and serves it once tls.ca names that CA', async () => {
    const up = await httpsUpstream(await issueCertificate(ca, ['127.0.0.1']));
    expectTlsRefusal(await through({ targets: [up.url] }), 'unknown-ca');

    const served = await through({ targets: [up.url], tls: { ca: caFile } });
    expect(served.status).toBe(200);
    expect(up.seen).toHaveLength(1);
    // The CA was added for that service only, not to the process's trust store.
    const direct = await new Promise<string | undefined>((resolve) =>
      https
        .get(up.url, { agent: false }, (res) => resolve(String(res.statusCode)))
        .on('error', (error: NodeJS.ErrnoException) => resolve(error.code)),
    );
    expect(direct).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('trusts every CA of a bundle in tls.ca, and no CA that did not sign the certificate', async () => {
    const bundle = await certs.write('bundle.pem', `${otherCa.cert}\n${ca.cert}`);
    const up = await httpsUpstream(await issueCertificate(ca, ['127.0.0.1']));
    expect((await through({ targets: [up.url], tls: { ca: bundle } })).status).toBe(200);
    // A CA that did not sign it does not help.
    const otherFile = await certs.write('other-ca.pem', otherCa.cert);
    expectTlsRefusal(await through({ targets: [up.url], tls: { ca: otherFile } }), 'unknown-ca');
  });

  it('refuses a certificate for another name, naming the names it holds, and serves it with tls.servername', async () => {
    const up = await httpsUpstream(await issueCertificate(ca, ['billing.internal']));

    const refused = await through({ targets: [up.url], tls: { ca: caFile } });
    expectTlsRefusal(refused, 'name-mismatch');
    expect(refused.json!.detail).toContain('billing.internal');
    expect(refused.json!.hint).toMatch(/tls\.servername/);

    const served = await through({ targets: [up.url], tls: { ca: caFile, servername: 'billing.internal' } });
    expect(served.status).toBe(200);
    expect(up.seen[0]!.servername).toBe('billing.internal');
  });

  it('refuses an expired certificate, and tls.insecure serves it (and a self-signed one) without verifying', async () => {
    const expired = await httpsUpstream(await issueCertificate(ca, ['127.0.0.1'], { expired: true }));
    expectTlsRefusal(await through({ targets: [expired.url], tls: { ca: caFile } }), 'expired');
    expect((await through({ targets: [expired.url], tls: { insecure: true } })).status).toBe(200);

    const self = await httpsUpstream(await selfSignedCertificate(['somewhere.else']));
    expect((await through({ targets: [self.url], tls: { insecure: true } })).status).toBe(200);
  });

  it('names a target that does not speak TLS on its port', async () => {
    const plain = http.createServer((_req, res) => res.end('plain'));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => plain.close(() => resolve())));
    const port = (plain.address() as AddressInfo).port;
    const res = await through({ targets: [`https://127.0.0.1:${port}`] });
    expectTlsRefusal(res, 'not-tls');
    expect(res.json!.hint).toMatch(/http:\/\//);
  });

  it("trusts gw's own local CA (GW_HOME) with no tls settings", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'gw-home-'));
    const previous = process.env.GW_HOME;
    process.env.GW_HOME = home;
    cleanup.push(async () => {
      if (previous === undefined) delete process.env.GW_HOME;
      else process.env.GW_HOME = previous;
      await rm(home, { recursive: true, force: true });
    });
    const now = new Date();
    const localCa = await loadOrCreateCa(tlsPaths(process.env), now);
    const leaf = await issueLeafCertificate({
      ca: localCa,
      names: ['localhost', '127.0.0.1'],
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 86_400_000),
    });
    const up = await httpsUpstream(leaf);
    expect((await through({ targets: [up.url] })).status).toBe(200);
    // tls.ca adds to the trusted CAs rather than replacing them: gw's CA still counts.
    const otherFile = await certs.write('other-ca-2.pem', otherCa.cert);
    expect((await through({ targets: [up.url], tls: { ca: otherFile } })).status).toBe(200);
  });
});

describe('client certificates (mTLS)', () => {
  it('an upstream that requires one refuses gw without tls.cert/key and serves it with them', async () => {
    const clientCa = await createTestCa('client CA');
    const client = await issueCertificate(clientCa, ['gw-client'], { client: true });
    const up = await httpsUpstream(await issueCertificate(ca, ['127.0.0.1']), {
      requestCert: true,
      rejectUnauthorized: true,
      ca: clientCa.cert,
    });

    const refused = await through({ targets: [up.url], tls: { ca: caFile } });
    expectTlsRefusal(refused, 'client-cert-required');
    expect(refused.json!.hint).toMatch(/tls\.cert/);

    const served = await through({
      targets: [up.url],
      tls: {
        ca: caFile,
        cert: await certs.write('client.pem', client.cert),
        key: await certs.write('client-key.pem', client.key),
      },
    });
    expect(served.status).toBe(200);
    expect(up.seen.at(-1)!.clientCert).toBe('gw-client');
  });
});

describe('hostHeader', () => {
  it("'client' (default) passes the client's Host on and verifies and sends SNI for the target's name", async () => {
    const up = await httpsUpstream(await issueCertificate(ca, ['localhost']));
    const target = `https://localhost:${up.port}`;
    const res = await through({ targets: [target], tls: { ca: caFile } }, { host: 'localhost:1234' });
    expect(res.status).toBe(200);
    expect(up.seen[0]).toMatchObject({ host: 'localhost:1234', servername: 'localhost' });
  });

  it("'target' sends the target's host as Host and its name as SNI", async () => {
    const up = await httpsUpstream(await issueCertificate(ca, ['localhost']));
    const target = `https://localhost:${up.port}`;
    const res = await through({ targets: [target], tls: { ca: caFile }, hostHeader: 'target' });
    expect(res.status).toBe(200);
    expect(up.seen[0]).toMatchObject({ host: `localhost:${up.port}`, servername: 'localhost' });
  });

  it("'target' on a plain http:// target sends its host too", async () => {
    const hosts: Array<string | undefined> = [];
    const plain = http.createServer((req, res) => {
      hosts.push(req.headers.host);
      res.end();
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => plain.close(() => resolve())));
    const port = (plain.address() as AddressInfo).port;
    expect((await through({ targets: [`http://127.0.0.1:${port}`], hostHeader: 'target' })).status).toBe(200);
    expect(hosts).toEqual([`127.0.0.1:${port}`]);
  });
});
