import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importSignKey } from '../../src/identity/key-ring.js';
import { freePort, request } from '../helpers/http.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  createEchoClient,
  startEchoServer,
  type EchoClient,
  type EchoServer,
} from '../protocols/grpc-echo.js';
import { rawGrpcCall, startRawGrpcServer, type RawGrpcServer } from '../protocols/raw-grpc.js';

/**
 * gw's own refusals speak gRPC on gRPC calls (issue 13, item 3): a real grpc-js client gets the
 * status a gRPC client expects, gw's code in grpc-message and in `gw-error-code`, and the
 * answer's metadata (RateLimit) — from a trailers-only answer (HTTP 200, application/grpc).
 * Each route answers its own Host, which the channel sends as :authority.
 */

let server: EchoServer;
let silent: RawGrpcServer;
let gw: TestGateway;
let apiKey: string;
let scopedKey: string;
const clients: EchoClient[] = [];

const echoPath = '/gwtest.echo.Echo/*';

beforeAll(async () => {
  server = await startEchoServer();
  // Takes calls and never answers them.
  silent = await startRawGrpcServer(() => undefined);
  gw = await startTestGateway({
    services: {
      echo: { targets: [server.url], protocol: 'grpc' },
      down: { targets: [`http://127.0.0.1:${await freePort()}`], protocol: 'grpc' },
      silent: { targets: [silent.url], protocol: 'grpc', timeout: 300 },
    },
    routes: [
      { path: echoPath, host: 'keyed.localhost', service: 'echo', auth: 'apiKey' },
      { path: echoPath, host: 'token.localhost', service: 'echo', auth: 'jwt' },
      { path: echoPath, host: 'scoped.localhost', service: 'echo', auth: 'apiKey', scopes: ['echo:write'] },
      {
        path: echoPath,
        host: 'limited.localhost',
        service: 'echo',
        rateLimit: { limit: 1, window: '1m', by: 'ip' },
      },
      { path: echoPath, host: 'small.localhost', service: 'echo', bodyLimit: '1kb' },
      { path: echoPath, host: 'down.localhost', service: 'down' },
      { path: echoPath, host: 'silent.localhost', service: 'silent' },
      {
        path: echoPath,
        host: 'buggy.localhost',
        service: 'echo',
        use: [
          async () => {
            throw new Error('a bug in a middleware');
          },
        ],
      },
      { path: echoPath, service: 'echo' },
    ],
  });
  apiKey = (await gw.state.keys.create({ name: 'app', scopes: [] })).key;
  scopedKey = (await gw.state.keys.create({ name: 'writer', scopes: ['echo:write'] })).key;
});

afterAll(async () => {
  for (const client of clients) client.close();
  await gw.close();
  await silent.close();
  await server.close();
});

function clientFor(authority: string): EchoClient {
  const client = createEchoClient(`127.0.0.1:${gw.port}`, { authority });
  clients.push(client);
  return client;
}

async function signToken(): Promise<string> {
  const entry = (await gw.state.signingKeys.ensure()).keys[0]!;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: 'gw', aud: 'gw', sub: 'alice' })
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .setProtectedHeader({ alg: entry.alg, kid: entry.kid })
    .sign(await importSignKey(entry));
}

describe("gw's refusals on gRPC calls", () => {
  it.each([
    ['keyed.localhost', {}, 16, 'GW_UNAUTHENTICATED'],
    ['keyed.localhost', { 'x-api-key': 'gw_not_a_real_key' }, 16, 'GW_INVALID_CREDENTIALS'],
    ['token.localhost', { authorization: 'Bearer not.a.token' }, 16, 'GW_INVALID_CREDENTIALS'],
    ['down.localhost', {}, 14, 'GW_UPSTREAM_UNREACHABLE'],
    ['silent.localhost', {}, 4, 'GW_UPSTREAM_TIMEOUT'],
    ['buggy.localhost', {}, 13, 'GW_INTERNAL'],
  ])('%s with %j → status %d (%s)', async (authority, metadata, code, gwCode) => {
    const result = await clientFor(authority).unary({ text: 'x' }, { metadata });
    expect(result.code).toBe(code);
    expect(result.details.startsWith(`${gwCode}: `)).toBe(true);
    expect(result.trailers['gw-error-code']).toBe(gwCode);
    expect(result.trailers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a key without the route scope → PERMISSION_DENIED; with it the call goes through', async () => {
    const client = clientFor('scoped.localhost');
    const refused = await client.unary({ text: 'x' }, { metadata: { 'x-api-key': apiKey } });
    expect(refused.code).toBe(7);
    expect(refused.trailers['gw-error-code']).toBe('GW_FORBIDDEN');
    const passed = await client.unary({ text: 'x' }, { metadata: { 'x-api-key': scopedKey } });
    expect(passed.code).toBe(0);
  });

  it('an API key in x-api-key metadata and a bearer token in authorization are credentials', async () => {
    const keyed = await clientFor('keyed.localhost').unary(
      { text: 'key' },
      { metadata: { 'x-api-key': apiKey } },
    );
    expect(keyed.code).toBe(0);
    expect(keyed.value?.text).toBe('hello key');
    expect(server.calls.at(-1)!.metadata['x-client-id']).toBe('app');
    expect(server.calls.at(-1)!.metadata['x-api-key']).toBeUndefined();
    const token = await signToken();
    const bearer = await clientFor('token.localhost').unary(
      { text: 'token' },
      { metadata: { authorization: `Bearer ${token}` } },
    );
    expect(bearer.code).toBe(0);
    expect(server.calls.at(-1)!.metadata['x-user-id']).toBe('alice');
  });

  it('rate limited → RESOURCE_EXHAUSTED with the RateLimit fields as metadata', async () => {
    const client = clientFor('limited.localhost');
    const first = await client.unary({ text: 'x' });
    expect(first.code).toBe(0);
    expect(first.headers['ratelimit-remaining']).toBe('0');
    const refused = await client.unary({ text: 'x' });
    expect(refused.code).toBe(8);
    expect(refused.trailers['gw-error-code']).toBe('GW_RATE_LIMITED');
    expect(refused.trailers['ratelimit-limit']).toBe('1');
    expect(refused.trailers['ratelimit-remaining']).toBe('0');
    expect(Number(refused.trailers['retry-after'])).toBeGreaterThan(0);
  });

  it('over bodyLimit → RESOURCE_EXHAUSTED, and the message never reaches the server', async () => {
    const before = server.calls.length;
    const result = await clientFor('small.localhost').unary({ text: 'x'.repeat(4096) });
    expect(result.code).toBe(8);
    expect(result.trailers['gw-error-code']).toBe('GW_BODY_TOO_LARGE');
    expect(server.calls.slice(before).some((call) => call.messages[0]?.text?.length === 4096)).toBe(false);
  });

  it('no route → UNIMPLEMENTED', async () => {
    const client = clientFor(`127.0.0.1:${gw.port}`);
    const status = await new Promise<{ code: number; details: string }>((resolve) => {
      const call = client.client.makeUnaryRequest(
        '/gwtest.other.Nothing/Here',
        (value: Buffer) => value,
        (value: Buffer) => value,
        Buffer.alloc(0),
        () => undefined,
      );
      call.on('status', resolve);
    });
    expect(status.code).toBe(12);
    expect(status.details.startsWith('GW_ROUTE_NOT_FOUND: ')).toBe(true);
  });

  it('is a trailers-only answer on the wire: HTTP 200, application/grpc, one HEADERS frame', async () => {
    const answer = await rawGrpcCall(gw.url, {
      ':path': '/gwtest.echo.Echo/Unary',
      ':authority': 'keyed.localhost',
    });
    expect(answer.headersEnded).toBe(true);
    expect(answer.headers[':status']).toBe(200);
    expect(answer.headers['content-type']).toBe('application/grpc');
    expect(answer.headers['grpc-status']).toBe('16');
    expect(answer.headers['grpc-message']).toMatch(/^GW_UNAUTHENTICATED: /);
    expect(answer.body.length).toBe(0);
  });

  it('a plain HTTP request to the same route still gets problem+json', async () => {
    const res = await request(gw.url, '/gwtest.echo.Echo/Unary', { headers: { host: 'keyed.localhost' } });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json?.code).toBe('GW_UNAUTHENTICATED');
  });
});
