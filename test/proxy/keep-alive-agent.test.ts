import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventStream } from '../../src/events/event-stream.js';
import {
  createKeepAliveAgent,
  isLocalhost,
  lookupLocalhostDualStack,
  retireAgent,
} from '../../src/proxy/keep-alive-agent.js';
import { createUpstreamRegistry } from '../../src/proxy/upstream-registry.js';
import { get, service, waitFor } from './upstream-fixtures.js';

let cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

/** A server bound to one address that counts TCP connections; `hold` delays answers. */
async function serve(
  host: string,
  hold?: Promise<void>,
): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((_req, res) => {
    void (hold ?? Promise.resolve()).then(() => res.end(host));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { server, port: (server.address() as AddressInfo).port, connections: () => connections };
}

async function ipv6LoopbackWorks(): Promise<boolean> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '::1', resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return true;
  } catch {
    return false;
  }
}

// Containers without IPv6 have no ::1; there the ::1 case cannot be exercised at all.
const hasIpv6Loopback = await ipv6LoopbackWorks();

function lookup(hostname: string, options: { all: boolean; family?: number }) {
  return new Promise<unknown>((resolve, reject) => {
    lookupLocalhostDualStack(hostname, options, (error, ...rest) =>
      error ? reject(error) : resolve(options.all ? rest[0] : rest),
    );
  });
}

describe('localhost lookup', () => {
  it.each([
    {
      hostname: 'localhost',
      options: { all: true },
      expected: [
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ],
    },
    {
      hostname: 'api.localhost',
      options: { all: true, family: 6 },
      expected: [{ address: '::1', family: 6 }],
    },
    { hostname: 'LOCALHOST', options: { all: false }, expected: ['127.0.0.1', 4] },
    { hostname: 'localhost', options: { all: false, family: 6 }, expected: ['::1', 6] },
    { hostname: '127.0.0.1', options: { all: true }, expected: [{ address: '127.0.0.1', family: 4 }] },
  ])('$hostname $options', async ({ hostname, options, expected }) => {
    expect(await lookup(hostname, options)).toEqual(expected);
  });

  it('knows what localhost is', () => {
    expect(['localhost', 'Localhost', 'app.localhost'].map(isLocalhost)).toEqual([true, true, true]);
    expect(['localhost.example', '127.0.0.1', 'mylocalhost'].map(isLocalhost)).toEqual([false, false, false]);
  });
});

describe('keep-alive agent', () => {
  it('reaches a localhost service bound only to 127.0.0.1, reusing one connection', async () => {
    const { port, connections } = await serve('127.0.0.1');
    const registry = createUpstreamRegistry(
      { svc: service({ targets: [`http://localhost:${port}`] }) },
      { events: createEventStream() },
    );
    cleanups.push(() => registry.close());
    const agent = registry.get('svc')!.agent;
    for (let i = 0; i < 3; i++)
      expect(await get(`http://localhost:${port}/`, agent)).toEqual({ status: 200, body: '127.0.0.1' });
    expect(connections()).toBe(1);
  });

  it.runIf(hasIpv6Loopback)('reaches a localhost service bound only to ::1', async () => {
    const { port, connections } = await serve('::1');
    const agent = createKeepAliveAgent('http:');
    cleanups.push(() => agent.destroy());
    const started = performance.now();
    expect(await get(`http://localhost:${port}/`, agent)).toEqual({ status: 200, body: '::1' });
    expect(await get(`http://localhost:${port}/`, agent)).toEqual({ status: 200, body: '::1' });
    expect(connections()).toBe(1);
    // The refused 127.0.0.1 attempt fails at once; no waiting for a connect-attempt timeout.
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('connects to an IP literal without any lookup', async () => {
    const { port } = await serve('127.0.0.1');
    const agent = createKeepAliveAgent('http:');
    cleanups.push(() => agent.destroy());
    let lookups = 0;
    const originalCreate = agent.createConnection.bind(agent);
    agent.createConnection = ((options: object, callback: () => void) => {
      const socket = (originalCreate as (o: object, c: () => void) => NodeJS.Socket)(options, callback);
      socket.once('lookup', () => lookups++);
      return socket;
    }) as typeof agent.createConnection;
    await get(`http://127.0.0.1:${port}/`, agent);
    await get(`http://localhost:${port}/`, agent);
    expect(lookups).toBe(1);
  });

  it('gives https targets an https agent', () => {
    const registry = createUpstreamRegistry(
      { svc: service({ targets: ['https://127.0.0.1:7443', 'http://127.0.0.1:7080'] }) },
      { events: createEventStream() },
    );
    cleanups.push(() => registry.close());
    const [secure, plain] = registry.get('svc')!.targets;
    expect(secure!.agent).toBeInstanceOf(HttpsAgent);
    expect(plain!.agent).not.toBeInstanceOf(HttpsAgent);
    expect(registry.get('svc')!.agent).toBe(secure!.agent);
  });

  it('retiring lets a request in flight finish, then keeps no socket', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const slow = await serve('127.0.0.1', hold);
    const idle = await serve('127.0.0.1');
    const agent = createKeepAliveAgent('http:');
    await get(`http://127.0.0.1:${idle.port}/`, agent);
    expect(Object.keys(agent.freeSockets)).toHaveLength(1);
    const inFlight = get(`http://127.0.0.1:${slow.port}/`, agent);
    await new Promise((resolve) => slow.server.once('request', resolve));
    const idleSocket = Object.values(agent.freeSockets)[0]![0]!;
    retireAgent(agent);
    expect(idleSocket.destroyed).toBe(true);
    release();
    expect(await inFlight).toEqual({ status: 200, body: '127.0.0.1' });
    // The socket that served it closes instead of going back to the pool.
    await waitFor(() => Object.keys(agent.sockets).length === 0, 5_000, 'busy socket closed');
    expect(Object.keys(agent.freeSockets)).toHaveLength(0);
  });
});
