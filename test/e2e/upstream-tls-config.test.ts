import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve-config.js';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { isGatewayError, type ConfigProblem } from '../../src/errors.js';
import { startTestGateway } from '../helpers/gateway.js';
import { request } from '../helpers/http.js';
import {
  createCertDir,
  createTestCa,
  issueCertificate,
  type Pem,
  type TestCa,
} from './upstream-tls-certs.js';

/**
 * A service's `tls` files and `healthCheck` fields are checked when the config is resolved:
 * every problem names its field, paths are relative to the config file, and a reload that breaks
 * a file keeps the last good config serving.
 */

type ServiceInput = NonNullable<GatewayConfigInput['services']>[string];

let certs: Awaited<ReturnType<typeof createCertDir>>;
let ca: TestCa;
let client: Pem;
let otherClient: Pem;
let configFile: string;
beforeAll(async () => {
  certs = await createCertDir();
  ca = await createTestCa();
  client = await issueCertificate(ca, ['gw-client'], { client: true });
  otherClient = await issueCertificate(ca, ['someone-else'], { client: true });
  await certs.write('ca.pem', ca.cert);
  await certs.write('client.pem', client.cert);
  await certs.write('client-key.pem', client.key);
  await certs.write('other-key.pem', otherClient.key);
  configFile = path.join(certs.dir, 'gateway.config.ts');
});
afterAll(() => certs.remove());

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** The problems resolving a config with this one service reports (none: []). */
function problemsOf(service: ServiceInput): ConfigProblem[] {
  try {
    resolveConfig({ services: { billing: service } }, configFile);
    return [];
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    expect(error.code).toBe('GW_CONFIG_INVALID');
    expect(error.file).toBe(configFile);
    return [...error.problems];
  }
}

const secure = ['https://127.0.0.1:9443'];

describe('service tls files', () => {
  it('reads paths relative to the config file', () => {
    expect(
      problemsOf({
        targets: secure,
        tls: { ca: './ca.pem', cert: './client.pem', key: './client-key.pem' },
      }),
    ).toEqual([]);
  });

  it.each([
    ['a missing CA file', { ca: './nowhere.pem' }, 'services.billing.tls.ca', /no file at .*nowhere\.pem/],
    [
      'a CA file without a certificate',
      { ca: './client-key.pem' },
      'services.billing.tls.ca',
      /no PEM certificate/,
    ],
    [
      'a key of another certificate',
      { cert: './client.pem', key: './other-key.pem' },
      'services.billing.tls.key',
      /not the key of the certificate/,
    ],
    ['a cert without its key', { cert: './client.pem' }, 'services.billing.tls.key', /missing/],
    ['a key without its cert', { key: './client-key.pem' }, 'services.billing.tls.cert', /missing/],
    [
      'a servername that is an IP address',
      { servername: '10.0.0.1' },
      'services.billing.tls.servername',
      /IP/,
    ],
  ])('%s is a config problem naming the field', (_name, tls, field, message) => {
    const problems = problemsOf({ targets: secure, tls });
    expect(problems.map((p) => p.path)).toEqual([field]);
    expect(problems[0]!.message).toMatch(message);
    expect(problems[0]!.hint).toBeTruthy();
  });

  it('is a problem on a service without https:// targets', () => {
    const problems = problemsOf({ targets: ['http://127.0.0.1:8001'], tls: { ca: './ca.pem' } });
    expect(problems.map((p) => p.path)).toEqual(['services.billing.tls']);
  });
});

describe('healthCheck fields per protocol', () => {
  it.each([
    ['an HTTP service without path', { healthCheck: {} }, 'services.billing.healthCheck.path'],
    [
      'grpcService on an HTTP service',
      { healthCheck: { path: '/health', grpcService: 'x' } },
      'services.billing.healthCheck.grpcService',
    ],
    [
      'path on a gRPC service',
      { protocol: 'grpc' as const, healthCheck: { path: '/health' } },
      'services.billing.healthCheck.path',
    ],
  ])('%s is a config problem', (_name, fields, field) => {
    const problems = problemsOf({ targets: ['http://127.0.0.1:8001'], ...fields });
    expect(problems.map((p) => p.path)).toEqual([field]);
  });

  it('a gRPC service needs no path', () => {
    expect(problemsOf({ targets: ['http://127.0.0.1:8001'], protocol: 'grpc', healthCheck: {} })).toEqual([]);
  });
});

describe('reload', () => {
  it('a tls file that went missing is rejected and the last good config keeps serving', async () => {
    const server = https.createServer(await issueCertificate(ca, ['127.0.0.1']), (_req, res) =>
      res.end('ok'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const target = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = (ca: string): GatewayConfigInput => ({
      services: { billing: { targets: [target], tls: { ca } } },
      routes: [{ path: '/api', service: 'billing' }],
    });
    const gw = await startTestGateway(config(path.join(certs.dir, 'ca.pem')));
    cleanup.push(() => gw.close());
    expect((await request(gw.url, '/api')).status).toBe(200);

    const rejected = await gw.reload(config(path.join(certs.dir, 'gone.pem'))).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isGatewayError(rejected) && rejected.code).toBe('GW_CONFIG_INVALID');
    expect((await request(gw.url, '/api')).status).toBe(200);
  });
});
