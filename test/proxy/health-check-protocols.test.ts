import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamRegistry } from '../../src/proxy/upstream-registry.js';
import type { Target } from '../../src/proxy/upstream-types.js';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { recordHealthEvents, service, useUpstreamCleanup, waitFor } from './upstream-fixtures.js';
import {
  createCertDir,
  createTestCa,
  issueCertificate,
  type Pem,
  type TestCa,
} from '../e2e/upstream-tls-certs.js';

/**
 * Active health checks per protocol, against real servers: HTTP/1.1 over TLS with the service's
 * `tls`, GET over HTTP/2 for an h2c-only service, and grpc.health.v1.Health/Check for gRPC ones
 * (a real @grpc/grpc-js server with a Health service written here).
 */

type ServiceInput = NonNullable<GatewayConfigInput['services']>[string];

const fast = { interval: 50, timeout: 1_000, unhealthyThreshold: 1, healthyThreshold: 1 };
const { cleanups } = useUpstreamCleanup();

let certs: Awaited<ReturnType<typeof createCertDir>>;
let ca: TestCa;
let caFile: string;
let serverPem: Pem;
beforeAll(async () => {
  certs = await createCertDir();
  ca = await createTestCa();
  caFile = await certs.write('ca.pem', ca.cert);
  serverPem = await issueCertificate(ca, ['127.0.0.1']);
});
afterAll(() => certs.remove());

function checked(input: ServiceInput): Target {
  const { events } = recordHealthEvents();
  const registry = createUpstreamRegistry({ svc: service(input) }, { events });
  cleanups.push(() => registry.close());
  return registry.get('svc')!.targets[0]!;
}

async function listening(server: {
  listen(port: number, host: string, done: () => void): unknown;
  address(): unknown;
}) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('health checks over TLS', () => {
  it("verify the target's certificate with the service's tls settings, as requests do", async () => {
    const hits: string[] = [];
    const server = https.createServer(serverPem, (req, res) => {
      hits.push(req.url ?? '');
      res.end('up');
    });
    server.on('tlsClientError', () => undefined);
    const port = await listening(server);
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())).then(() => undefined));
    cleanups.push(() => server.closeAllConnections());
    const url = `https://127.0.0.1:${port}`;

    const untrusted = checked({ targets: [url], healthCheck: { path: '/health', ...fast } });
    await waitFor(() => untrusted.state === 'unhealthy', 5_000, 'down without tls.ca');
    expect(untrusted.reason).toMatch(/GET \/health failed: TLS: .*CA gw does not trust/);
    expect(hits).toEqual([]);

    const trusted = checked({
      targets: [url],
      tls: { ca: caFile },
      healthCheck: { path: '/health', ...fast },
    });
    await waitFor(() => trusted.state === 'healthy', 5_000, 'up with tls.ca');
    expect(hits).toContain('/health');
  });
});

describe("protocol: 'http2' services", () => {
  it('are probed over HTTP/2, so an h2c-only upstream is up', async () => {
    const paths: string[] = [];
    // Cleartext HTTP/2 only: an HTTP/1.1 request to it fails.
    const server = http2.createServer((req, res) => {
      paths.push(`${req.httpVersion} ${req.url}`);
      res.end();
    });
    const port = await listening(server);
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const target = checked({
      targets: [`http://127.0.0.1:${port}`],
      protocol: 'http2',
      healthCheck: { path: '/ready', ...fast },
    });
    await waitFor(() => target.state === 'healthy', 5_000, 'h2c target up');
    expect(paths[0]).toBe('2.0 /ready');
  });

  it('are probed with h2 over TLS (ALPN) with the tls settings', async () => {
    const server = http2.createSecureServer(serverPem, (_req, res) => res.end());
    server.on('tlsClientError', () => undefined);
    const port = await listening(server);
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const target = checked({
      targets: [`https://127.0.0.1:${port}`],
      protocol: 'http2',
      tls: { ca: caFile },
      healthCheck: { path: '/ready', ...fast },
    });
    await waitFor(() => target.state === 'healthy', 5_000, 'h2 target up');
  });
});

// grpc.health.v1 messages, declared for the test server (the gateway declares its own).
const HealthCheckRequest = new protobuf.Type('HealthCheckRequest').add(
  new protobuf.Field('service', 1, 'string'),
);
const HealthCheckResponse = new protobuf.Type('HealthCheckResponse').add(
  new protobuf.Field('status', 1, 'int32'),
);
const SERVING = 1;
const NOT_SERVING = 2;

const healthService: grpc.ServiceDefinition = {
  Check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: object) => Buffer.from(HealthCheckRequest.encode(value).finish()),
    requestDeserialize: (bytes: Buffer) => HealthCheckRequest.toObject(HealthCheckRequest.decode(bytes)),
    responseSerialize: (value: object) => Buffer.from(HealthCheckResponse.encode(value).finish()),
    responseDeserialize: (bytes: Buffer) => HealthCheckResponse.toObject(HealthCheckResponse.decode(bytes)),
  },
};

/** A gRPC server whose Health/Check answers from `statuses` (NOT_FOUND for other names). */
async function grpcServer(
  options: { health?: boolean; credentials?: grpc.ServerCredentials } = {},
): Promise<{ port: number; statuses: Map<string, number>; asked: string[] }> {
  const statuses = new Map<string, number>();
  const asked: string[] = [];
  const server = new grpc.Server();
  if (options.health !== false)
    server.addService(healthService, {
      Check(call: grpc.ServerUnaryCall<{ service?: string }, object>, callback: grpc.sendUnaryData<object>) {
        const name = call.request.service ?? '';
        asked.push(name);
        const status = statuses.get(name);
        if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
        else callback(null, { status });
      },
    });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      '127.0.0.1:0',
      options.credentials ?? grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    ),
  );
  cleanups.push(() => server.forceShutdown());
  return { port, statuses, asked };
}

describe("protocol: 'grpc' services", () => {
  it('are healthy while grpc.health.v1.Health/Check answers SERVING for grpcService, down otherwise', async () => {
    const up = await grpcServer();
    up.statuses.set('billing.Ledger', SERVING);
    const target = checked({
      targets: [`http://127.0.0.1:${up.port}`],
      protocol: 'grpc',
      healthCheck: { grpcService: 'billing.Ledger', ...fast },
    });
    await waitFor(() => target.state === 'healthy', 5_000, 'SERVING');
    expect(up.asked[0]).toBe('billing.Ledger');

    up.statuses.set('billing.Ledger', NOT_SERVING);
    await waitFor(() => target.state === 'unhealthy', 5_000, 'NOT_SERVING');
    expect(target.reason).toMatch(/Health\/Check answered NOT_SERVING/);

    up.statuses.set('billing.Ledger', SERVING);
    await waitFor(() => target.state === 'healthy', 5_000, 'SERVING again');
  });

  it("ask about the whole server by default ('') and name a service the server does not know", async () => {
    const up = await grpcServer();
    const target = checked({
      targets: [`http://127.0.0.1:${up.port}`],
      protocol: 'grpc',
      healthCheck: { ...fast },
    });
    await waitFor(() => target.state === 'unhealthy', 5_000, 'NOT_FOUND');
    expect(up.asked[0]).toBe('');
    expect(target.reason).toMatch(/NOT_FOUND/);
  });

  it('are down when the server has no Health service (UNIMPLEMENTED)', async () => {
    const up = await grpcServer({ health: false });
    const target = checked({
      targets: [`http://127.0.0.1:${up.port}`],
      protocol: 'grpc',
      healthCheck: { ...fast },
    });
    await waitFor(() => target.state === 'unhealthy', 5_000, 'UNIMPLEMENTED');
    expect(target.reason).toMatch(/UNIMPLEMENTED/);
  });

  it('are checked over TLS with the tls settings', async () => {
    const credentials = grpc.ServerCredentials.createSsl(null, [
      { cert_chain: Buffer.from(serverPem.cert), private_key: Buffer.from(serverPem.key) },
    ]);
    const up = await grpcServer({ credentials });
    up.statuses.set('', SERVING);
    const target = checked({
      targets: [`https://127.0.0.1:${up.port}`],
      protocol: 'grpc',
      tls: { ca: caFile },
      healthCheck: { ...fast },
    });
    await waitFor(() => target.state === 'healthy', 5_000, 'SERVING over TLS');
  });
});
