import { unlink } from 'node:fs/promises';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../src/config/schema.js';
import { loadConfig } from '../src/config/load-config.js';
import { startDevServer } from '../src/dev/start-dev-server.js';
import { errorCatalogue, isGatewayError, type ErrorCode } from '../src/errors.js';
import type { EventOf } from '../src/events/gateway-events.js';
import { startTestGateway } from './helpers/gateway.js';
import { startUpstream, waitFor, type UpstreamHandler } from './helpers/upstream.js';
import { freePort, parseRawAnswer, rawExchange, request } from './helpers/http.js';
import { runGw } from './helpers/gw-process.js';
import { configSource, createProject } from './helpers/project.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function project(files: Record<string, string>) {
  const p = await createProject(files);
  cleanup.push(() => p.cleanup());
  return p;
}

/** The code a failing promise rejected with. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isGatewayError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a GatewayError, nothing was thrown');
}

/** A gateway in front of one upstream; resolves with the `code` of the problem answer to `path`. */
async function answerCode(
  handler: UpstreamHandler | 'down',
  route: NonNullable<GatewayConfigInput['routes']>[number],
  path: string,
  options: { method?: string; service?: Partial<NonNullable<GatewayConfigInput['services']>[string]> } = {},
): Promise<string> {
  let target: string;
  if (handler === 'down') target = `http://127.0.0.1:${await freePort()}`;
  else {
    const up = await startUpstream(handler);
    cleanup.push(() => up.close());
    target = up.url;
  }
  const gw = await startTestGateway({
    services: { s: { targets: [target], ...options.service } },
    routes: [route],
  });
  cleanup.push(() => gw.close());
  const res = await request(gw.url, path, { method: options.method });
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(res.json!.status).toBe(res.status);
  return res.json!.code as string;
}

async function rawAnswerCode(bytes: string): Promise<string> {
  const gw = await startTestGateway({
    services: { s: { targets: ['http://127.0.0.1:9'] } },
    routes: [{ path: '/api', service: 's' }],
  });
  cleanup.push(() => gw.close());
  const answer = parseRawAnswer(await rawExchange(gw.url, bytes));
  expect(answer.head).toMatch(/content-type: application\/problem\+json/i);
  return answer.json!.code as string;
}

const ok: UpstreamHandler = (_req, res) => res.end('ok');

/**
 * Every code the core (config, CLI, routing, proxy) can give a user, with a scenario that meets
 * it. Codes owned by policies (auth, limits, cache, breakers, keys, tokens, state) are proven by
 * their own tests.
 */
const scenarios: Partial<Record<ErrorCode, () => Promise<string>>> = {
  GW_CONFIG_NOT_FOUND: async () => codeOf(loadConfig({ cwd: (await project({})).dir })),
  GW_CONFIG_LOAD_FAILED: async () =>
    codeOf(loadConfig({ cwd: (await project({ 'gateway.config.ts': 'export default {{' })).dir })),
  GW_CONFIG_INVALID: async () =>
    codeOf(
      loadConfig({
        cwd: (
          await project({
            'gateway.config.ts': configSource({ s: ['http://127.0.0.1:1'] }, [
              { path: '/a', service: 'nope' },
            ]),
          })
        ).dir,
      }),
    ),
  GW_CONFIG_DELETED: async () => {
    const p = await project({
      'gateway.config.ts': configSource({ s: ['http://127.0.0.1:1'] }, [{ path: '/a', service: 's' }]),
    });
    const server = await startDevServer({
      cwd: p.dir,
      port: 0,
      host: '127.0.0.1',
      dashboard: false,
      logFormat: 'json',
      stateDir: p.path('.gw'),
    });
    cleanup.push(() => server.close());
    const rejected: Array<EventOf<'config-rejected'>> = [];
    server.gateway.events.subscribe((e) => e.type === 'config-rejected' && rejected.push(e));
    await unlink(p.path('gateway.config.ts'));
    await waitFor(() => rejected.length > 0, 15_000);
    return rejected[0]!.error.code;
  },
  GW_PORT_IN_USE: async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const { startGateway } = await import('../src/dev/start-gateway.js');
    const p = await project({});
    return codeOf(
      startGateway({
        config: {},
        port: (blocker.address() as net.AddressInfo).port,
        host: '127.0.0.1',
        stateDir: p.path('.gw'),
        configDir: p.dir,
      }),
    );
  },
  GW_TEMPLATE_EXISTS: async () => {
    const p = await project({ 'gateway.config.ts': 'export default {};' });
    const result = await runGw(['init'], { cwd: p.dir });
    expect(result.code).toBe(1);
    return /\b(GW_[A-Z_]+)\b/.exec(result.stderr)?.[1] ?? result.stderr;
  },
  GW_BAD_PATH: () => answerCode(ok, { path: '/api', service: 's' }, '/api/../../etc/passwd'),
  GW_BAD_REQUEST: () => rawAnswerCode('GET /api HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n'),
  GW_ROUTE_NOT_FOUND: () => answerCode(ok, { path: '/api', service: 's' }, '/other'),
  GW_METHOD_NOT_ALLOWED: () =>
    answerCode(ok, { path: '/api', service: 's', methods: ['POST'] }, '/api', { method: 'GET' }),
  GW_UPGRADE_NOT_ALLOWED: () =>
    rawAnswerCode(
      'GET /api HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    ),
  GW_INTERNAL: () =>
    answerCode(
      ok,
      {
        path: '/api',
        service: 's',
        rewrite: () => {
          throw new Error('a bug in a config function');
        },
      },
      '/api',
    ),
  GW_UPSTREAM_UNREACHABLE: () => answerCode('down', { path: '/api', service: 's' }, '/api'),
  GW_UPSTREAM_RESET: () => answerCode((req) => req.socket.destroy(), { path: '/api', service: 's' }, '/api'),
  GW_UPSTREAM_BAD_RESPONSE: () =>
    answerCode((req) => req.socket.end('NOT HTTP AT ALL\r\n\r\n'), { path: '/api', service: 's' }, '/api'),
  GW_UPSTREAM_TIMEOUT: () =>
    answerCode(() => undefined, { path: '/api', service: 's', timeout: '100ms' }, '/api'),
  GW_NO_HEALTHY_TARGET: async () => {
    const port = await freePort();
    const gw = await startTestGateway({
      services: {
        s: {
          targets: [`http://127.0.0.1:${port}`],
          healthCheck: { path: '/health', interval: '50ms', unhealthyThreshold: 1 },
        },
      },
      routes: [{ path: '/api', service: 's' }],
    });
    cleanup.push(() => gw.close());
    await waitFor(() => gw.seen.some((e) => e.type === 'target-health' && !e.healthy));
    return (await request(gw.url, '/api')).json!.code as string;
  },
};

describe('every error code a user can meet in the core', () => {
  it('names only codes of the catalogue', () => {
    for (const code of Object.keys(scenarios)) expect(errorCatalogue).toHaveProperty(code);
  });

  it.each(Object.entries(scenarios))('%s is produced by its scenario', async (code, scenario) => {
    expect(await scenario()).toBe(code);
  });

  it('a request head over the size limit is GW_BAD_REQUEST with 431', async () => {
    const gw = await startTestGateway({
      services: { s: { targets: ['http://127.0.0.1:9'] } },
      routes: [{ path: '/api', service: 's' }],
      server: { maxHeaderSize: 1024 },
    });
    cleanup.push(() => gw.close());
    const answer = parseRawAnswer(
      await rawExchange(gw.url, `GET /api HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`),
    );
    expect(answer.status).toBe(431);
    expect(answer.json?.code).toBe('GW_BAD_REQUEST');
  });
});

describe('server limits', () => {
  it.each([
    [
      'Content-Length with Transfer-Encoding',
      'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n',
    ],
    ['two Content-Lengths', 'Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde'],
    [
      'a Transfer-Encoding that does not end in chunked',
      'Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
    ],
  ])('a smuggling attempt (%s) is a 400 GW_BAD_REQUEST and reaches no upstream', async (_name, rest) => {
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const gw = await startTestGateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/', service: 's' }],
    });
    cleanup.push(() => gw.close());
    const answer = parseRawAnswer(
      await rawExchange(gw.url, `POST /a HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${rest}`),
    );
    expect(answer.status).toBe(400);
    expect(answer.json?.code).toBe('GW_BAD_REQUEST');
    expect(up.requests).toEqual([]);
  });

  it('a request head that does not arrive within headersTimeout is GW_BAD_REQUEST with 408', async () => {
    const gw = await startTestGateway({
      services: { s: { targets: ['http://127.0.0.1:9'] } },
      routes: [{ path: '/api', service: 's' }],
      server: { headersTimeout: '300ms', requestTimeout: '600ms' },
    });
    cleanup.push(() => gw.close());
    const started = Date.now();
    const answer = parseRawAnswer(
      await rawExchange(gw.url, 'GET /api HTTP/1.1\r\nHost: localhost\r\nX-Slow: never ends', 20_000),
    );
    expect(answer.status).toBe(408);
    expect(answer.json?.code).toBe('GW_BAD_REQUEST');
    // Enforced within a few sweeps, not after Node's default 30 s check interval.
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
