import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { startTestGateway } from '../helpers/gateway.js';
import { request, type RawResponse } from '../helpers/http.js';
import {
  createCertDir,
  createTestCa,
  issueCertificate,
  type Pem,
  type TestCa,
} from './upstream-tls-certs.js';

/**
 * TLS to upstreams beyond HTTP/1.1: h2 over TLS (ALPN) on protocol: 'http2' services, with the
 * same verification, client certificates and hostHeader; and WebSocket upgrades to wss:// ones.
 */

type ServiceInput = NonNullable<GatewayConfigInput['services']>[string];

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

let certs: Awaited<ReturnType<typeof createCertDir>>;
let ca: TestCa;
let caFile: string;
let localhostPem: Pem;
beforeAll(async () => {
  certs = await createCertDir();
  ca = await createTestCa();
  caFile = await certs.write('ca.pem', ca.cert);
  localhostPem = await issueCertificate(ca, ['localhost', '127.0.0.1']);
});
afterAll(() => certs.remove());

interface Seen {
  version: string;
  authority: string | undefined;
  servername: string | false | null | undefined;
  clientCert: string | string[] | undefined;
}

/** An h2-only TLS upstream (no HTTP/1.1 fallback): only ALPN h2 reaches it. */
async function h2Upstream(options: http2.SecureServerOptions = {}) {
  const seen: Seen[] = [];
  const server = http2.createSecureServer({ ...localhostPem, ...options }, (req, res) => {
    const socket = req.socket as TLSSocket;
    seen.push({
      version: req.httpVersion,
      authority: req.headers[':authority'],
      servername: socket.servername,
      clientCert: options.requestCert ? socket.getPeerCertificate().subject?.CN : undefined,
    });
    res.end('h2 over TLS');
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, seen };
}

async function startGateway(service: ServiceInput, websocket = false) {
  const gw = await startTestGateway({
    services: { billing: service },
    routes: [{ path: '/api', service: 'billing', websocket }],
  });
  cleanup.push(() => gw.close());
  return gw;
}

async function through(service: ServiceInput, headers?: OutgoingHttpHeaders): Promise<RawResponse> {
  const gw = await startGateway(service);
  return request(gw.url, '/api/x', { headers });
}

describe("h2 over TLS to protocol: 'http2' services", () => {
  it('refuses an unknown CA with GW_UPSTREAM_TLS and serves over h2 with tls.ca', async () => {
    const up = await h2Upstream();
    const target = `https://127.0.0.1:${up.port}`;
    const refused = await through({ targets: [target], protocol: 'http2' });
    expect(refused.status).toBe(502);
    expect(refused.json).toMatchObject({ code: 'GW_UPSTREAM_TLS', tlsCause: 'unknown-ca' });

    const served = await through({ targets: [target], protocol: 'http2', tls: { ca: caFile } });
    expect(served.status).toBe(200);
    expect(served.body).toBe('h2 over TLS');
    expect(up.seen).toHaveLength(1);
    expect(up.seen[0]!.version).toBe('2.0');
  });

  it('names a certificate for other names, fixed by tls.servername (sent as SNI)', async () => {
    const up = await h2Upstream({ ...(await issueCertificate(ca, ['ledger.internal'])) });
    const target = `https://127.0.0.1:${up.port}`;
    const refused = await through({ targets: [target], protocol: 'http2', tls: { ca: caFile } });
    expect(refused.json).toMatchObject({ code: 'GW_UPSTREAM_TLS', tlsCause: 'name-mismatch' });
    const served = await through({
      targets: [target],
      protocol: 'http2',
      tls: { ca: caFile, servername: 'ledger.internal' },
    });
    expect(served.status).toBe(200);
    expect(up.seen[0]!.servername).toBe('ledger.internal');
  });

  it('presents the client certificate to an upstream that requires one', async () => {
    const clientCa = await createTestCa('client CA');
    const client = await issueCertificate(clientCa, ['gw-client'], { client: true });
    const up = await h2Upstream({ requestCert: true, rejectUnauthorized: true, ca: clientCa.cert });
    const target = `https://127.0.0.1:${up.port}`;
    const refused = await through({ targets: [target], protocol: 'http2', tls: { ca: caFile } });
    expect(refused.json).toMatchObject({ code: 'GW_UPSTREAM_TLS', tlsCause: 'client-cert-required' });

    const tls = {
      ca: caFile,
      cert: await certs.write('client.pem', client.cert),
      key: await certs.write('client-key.pem', client.key),
    };
    const served = await through({ targets: [target], protocol: 'http2', tls });
    expect(served.status).toBe(200);
    expect(up.seen.at(-1)!.clientCert).toBe('gw-client');
  });

  it("hostHeader: 'target' sends the target's host as :authority and its name as SNI", async () => {
    const up = await h2Upstream();
    const target = `https://localhost:${up.port}`;
    const asClient = await through(
      { targets: [target], protocol: 'http2', tls: { ca: caFile } },
      { host: 'localhost:1234' },
    );
    expect(asClient.status).toBe(200);
    expect(up.seen[0]).toMatchObject({ authority: 'localhost:1234', servername: 'localhost' });

    const asTarget = await through({
      targets: [target],
      protocol: 'http2',
      tls: { ca: caFile },
      hostHeader: 'target',
    });
    expect(asTarget.status).toBe(200);
    expect(up.seen[1]).toMatchObject({ authority: `localhost:${up.port}`, servername: 'localhost' });
  });
});

/** A wss:// upstream that echoes, and the Host and SNI of each handshake. */
async function wssUpstream() {
  const server = https.createServer(localhostPem);
  server.on('tlsClientError', () => undefined);
  const handshakes: Array<{ host: string | undefined; servername: string | false | null | undefined }> = [];
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req: IncomingMessage) => {
    handshakes.push({ host: req.headers.host, servername: (req.socket as TLSSocket).servername });
    socket.on('message', (data) => socket.send(`echo ${String(data)}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, handshakes };
}

/** Opens a WebSocket through gw: the echo of one message, or the refusal's status and body. */
function exchange(url: string): Promise<{ echo?: string; status?: number; body?: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('open', () => socket.send('hello'));
    socket.on('message', (data) => {
      resolve({ echo: String(data) });
      socket.close();
    });
    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    socket.on('error', reject);
  });
}

describe('WebSocket upgrades to wss:// targets', () => {
  it('refuse an untrusted certificate with GW_UPSTREAM_TLS and go through with tls.ca', async () => {
    const up = await wssUpstream();
    const target = `https://localhost:${up.port}`;
    const refusing = await startGateway({ targets: [target] }, true);
    const refused = await exchange(`${refusing.url.replace('http', 'ws')}/api/ws`);
    expect(refused.status).toBe(502);
    expect(JSON.parse(refused.body!)).toMatchObject({ code: 'GW_UPSTREAM_TLS', tlsCause: 'unknown-ca' });

    const serving = await startGateway({ targets: [target], tls: { ca: caFile } }, true);
    expect(await exchange(`${serving.url.replace('http', 'ws')}/api/ws`)).toEqual({ echo: 'echo hello' });
    // SNI is the target's name, not the client's Host.
    expect(up.handshakes[0]!.servername).toBe('localhost');
    expect(up.handshakes[0]!.host).toBe(new URL(serving.url).host);
  });

  it("hostHeader: 'target' sends the target's host on the handshake", async () => {
    const up = await wssUpstream();
    const target = `https://localhost:${up.port}`;
    const gw = await startGateway({ targets: [target], tls: { ca: caFile }, hostHeader: 'target' }, true);
    expect(await exchange(`${gw.url.replace('http', 'ws')}/api/ws`)).toEqual({ echo: 'echo hello' });
    expect(up.handshakes[0]).toEqual({ host: `localhost:${up.port}`, servername: 'localhost' });
  });
});
