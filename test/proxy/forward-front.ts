import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { isGatewayError } from '../../src/errors.js';
import { createEventStream } from '../../src/events/event-stream.js';
import { compileRoute } from '../../src/pipeline/compile-route.js';
import { emptyForwardState } from '../../src/pipeline/forward-state.js';
import type { GatewayContext } from '../../src/pipeline/types.js';
import { isRetryable, type ForwardMode, type UpstreamResponse } from '../../src/proxy/forwarder.js';
import type { Target, UpstreamPool } from '../../src/proxy/upstream-types.js';
import { createUpstreamRegistry } from '../../src/proxy/upstream-registry.js';
import { startRawUpstream, type RawHandler } from '../helpers/raw-upstream.js';
import type { useTestServers } from '../helpers/test-servers.js';
import { freePort, request } from '../helpers/http.js';

// A forward on its own: a real front server hands each request to `forward` with a mode, and
// the test sees what the forward resolved or rejected with, besides what the client got.

export type Forward = (
  ctx: GatewayContext,
  pool: UpstreamPool,
  target: Target,
  mode: ForwardMode | undefined,
) => Promise<UpstreamResponse | undefined>;

type Servers = ReturnType<typeof useTestServers>;

export interface Settled {
  response?: UpstreamResponse;
  error?: unknown;
  ctx: GatewayContext;
}

export async function front(
  servers: Servers,
  forward: Forward,
  targetUrl: string,
  mode: ForwardMode | undefined,
  timeoutMs = 5_000,
  protocol?: 'http2',
) {
  const config = configSchema.parse({
    services: { s: { targets: [targetUrl], protocol } },
    routes: [{ path: '/api', service: 's' }],
  });
  const registry = createUpstreamRegistry(config.services, { events: createEventStream() });
  servers.cleanup.push(() => registry.close());
  const pool = registry.get('s')!;
  const route = compileRoute(config.routes[0]!);
  const settled: Settled[] = [];
  const server = http.createServer((req, res) => {
    const outcome = {};
    const ctx: GatewayContext = {
      id: 'r1',
      req,
      res,
      method: req.method ?? 'GET',
      route,
      path: req.url ?? '/',
      search: '',
      params: {},
      clientIp: '127.0.0.1',
      startedAt: performance.now(),
      upstreamPath: req.url ?? '/',
      upstreamHeaders: req.headers,
      responseHeaders: { 'x-request-id': 'r1' },
      ...emptyForwardState(outcome),
      identity: undefined,
      timeoutMs,
      outcome,
    };
    const target = pool.pick({ req, clientIp: ctx.clientIp })!;
    forward(ctx, pool, target, mode).then(
      (response) => {
        settled.push({ response, ctx });
        if (!res.headersSent)
          res.end(response ? `buffered ${response.status} ${response.body.length}` : 'none');
      },
      (error: unknown) => {
        settled.push({ error, ctx });
        if (!res.headersSent) res.writeHead(599).end(isGatewayError(error) ? error.code : 'other');
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, settled, pool };
}

export async function rawTarget(servers: Servers, handler: RawHandler) {
  const up = await startRawUpstream(handler);
  servers.cleanup.push(() => up.close());
  return up;
}

/** An upstream that answers every request with `status` and `body` (and `extra` header lines). */
export const answer =
  (status: number, body: string, extra = ''): RawHandler =>
  (_request, socket) =>
    socket.write(`HTTP/1.1 ${status} X\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`);

/** The failures both forwards report alike (http-forward.ts and undici-forward.ts). */
export function itFailsLikeEveryForward(servers: Servers, forward: Forward): void {
  it('a refused connection rejects retryable GW_UPSTREAM_UNREACHABLE and counts against the target', async () => {
    const gw = await front(servers, forward, `http://127.0.0.1:${await freePort()}`, undefined);
    expect((await request(gw.url, '/api/f')).body).toBe('GW_UPSTREAM_UNREACHABLE');
    expect(isRetryable(gw.settled[0]!.error)).toBe(true);
    expect(gw.pool.targets[0]!.inFlight).toBe(0);
  });

  it('a head timeout rejects GW_UPSTREAM_TIMEOUT (not retryable: the upstream saw the request)', async () => {
    const up = await rawTarget(servers, () => undefined);
    const gw = await front(servers, forward, up.url, undefined, 150);
    expect((await request(gw.url, '/api/g')).body).toBe('GW_UPSTREAM_TIMEOUT');
    expect(isRetryable(gw.settled[0]!.error)).toBe(false);
  });
}
