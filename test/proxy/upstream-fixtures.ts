import { createHook } from 'node:async_hooks';
import { afterEach } from 'vitest';
import { createServer, IncomingMessage, request } from 'node:http';
import type { Agent, IncomingHttpHeaders, Server } from 'node:http';
import { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { serviceSchema } from '../../src/config/schema.js';
import type { GatewayConfigInput, ResolvedService } from '../../src/config/schema.js';
import { createEventStream } from '../../src/events/event-stream.js';
import type { EventOf } from '../../src/events/gateway-events.js';
import type { PickInput } from '../../src/proxy/upstream-types.js';

type ServiceInput = NonNullable<GatewayConfigInput['services']>[string];

/** A service the way the config loader hands it over: parsed and defaulted by the real schema. */
export function service(input: ServiceInput): ResolvedService {
  return serviceSchema.parse(input);
}

/** A request as a balancer sees it (headers only; nothing is sent). */
export function pickInput(
  options: { headers?: IncomingHttpHeaders; clientIp?: string; exclude?: ReadonlySet<string> } = {},
): PickInput {
  const req = new IncomingMessage(new Socket());
  req.headers = options.headers ?? {};
  return { req, clientIp: options.clientIp ?? '127.0.0.1', exclude: options.exclude };
}

export interface HealthUpstream {
  readonly port: number;
  readonly url: string;
  /** Paths of every request received, in order. */
  readonly hits: string[];
  /** Status the health path answers with. */
  status: number;
  close(): Promise<void>;
  /** Listens again on the same port after close(). */
  reopen(): Promise<void>;
}

/** A real upstream on loopback: answers `status` on every path and records what it got. */
export async function startHealthUpstream(host = '127.0.0.1', port = 0): Promise<HealthUpstream> {
  const hits: string[] = [];
  let server: Server;
  const upstream = {
    port: 0,
    url: '',
    hits,
    status: 200,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async reopen() {
      server = await listen(upstream.port);
    },
  };
  const listen = (onPort: number) =>
    new Promise<Server>((resolve, reject) => {
      const created = createServer((req, res) => {
        hits.push(req.url ?? '');
        res.statusCode = upstream.status;
        res.end(String(upstream.port));
      });
      created.once('error', reject);
      created.listen(onPort, host, () => resolve(created));
    });
  server = await listen(port);
  upstream.port = (server.address() as AddressInfo).port;
  upstream.url = `http://${host.includes(':') ? `[${host}]` : host}:${upstream.port}`;
  return upstream;
}

export { freePort } from '../helpers/ports.js';

/** GET through an agent; resolves with the status and body, rejects with the socket error. */
export function get(url: string, agent: Agent | false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export { sleep, waitFor } from '../helpers/wait.js';

/** An event stream that remembers the target-health events it saw. */
export function recordHealthEvents() {
  const events = createEventStream();
  const seen: Array<EventOf<'target-health'>> = [];
  events.subscribe((event) => {
    if (event.type === 'target-health') seen.push(event);
  });
  return { events, seen };
}

/**
 * Counts live timers and TCP handles created by src/proxy/, unref'd ones included
 * (getActiveResourcesInfo() skips those, and unref'd is exactly what gw's timers are).
 */
export function trackResources() {
  const live = new Map<number, string>();
  const hook = createHook({
    init(id, type) {
      if (type !== 'Timeout' && type !== 'TCPWRAP') return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 50;
      if (new Error().stack?.includes('/src/proxy/')) live.set(id, type);
      Error.stackTraceLimit = limit;
    },
    destroy(id) {
      live.delete(id);
    },
  });
  hook.enable();
  return {
    count(type: 'Timeout' | 'TCPWRAP'): number {
      let n = 0;
      for (const kind of live.values()) if (kind === type) n++;
      return n;
    },
    stop() {
      hook.disable();
    },
  };
}

/** Upstreams (and anything else pushed on `cleanups`) closed after each test, last first. */
export function useUpstreamCleanup() {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  return {
    cleanups,
    async upstreams(count: number): Promise<HealthUpstream[]> {
      const started = await Promise.all(Array.from({ length: count }, () => startHealthUpstream()));
      for (const upstream of started) cleanups.push(() => upstream.close().catch(() => {}));
      return started;
    },
  };
}
