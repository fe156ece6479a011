import type { Agent } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { ResolvedConfig } from '../../src/config/schema.js';
import { createEventStream } from '../../src/events/event-stream.js';
import type { PoolTarget } from '../../src/proxy/upstream-pool.js';
import { createUpstreamRegistry } from '../../src/proxy/upstream-registry.js';
import type { Target, UpstreamPool, UpstreamRegistry } from '../../src/proxy/upstream-types.js';
import {
  get,
  pickInput,
  recordHealthEvents,
  service,
  sleep,
  trackResources,
  waitFor,
  useUpstreamCleanup,
} from './upstream-fixtures.js';

const fastCheck = { path: '/health', interval: 50, timeout: 500, unhealthyThreshold: 1, healthyThreshold: 1 };
const { cleanups, upstreams } = useUpstreamCleanup();

function build(
  services: ResolvedConfig['services'],
  events = createEventStream(),
  previous?: UpstreamRegistry,
) {
  const registry = createUpstreamRegistry(services, { events, previous });
  cleanups.push(() => registry.close());
  return registry;
}

function failConnects(pool: UpstreamPool, target: Target, times: number): void {
  for (let i = 0; i < times; i++) {
    pool.started(target);
    pool.finished(target, 'connect-failed');
  }
}

describe('registry', () => {
  it('builds one pool per service with its timeout', () => {
    const registry = build({
      users: service({ targets: ['http://127.0.0.1:7001', 'http://127.0.0.1:7002/'] }),
      orders: service({ targets: ['http://127.0.0.1:7003'], timeout: '10s' }),
    });
    expect(registry.pools().map((pool) => pool.name)).toEqual(['users', 'orders']);
    expect(registry.get('users')!.targets.map((t) => t.key)).toEqual([
      'http://127.0.0.1:7001',
      'http://127.0.0.1:7002',
    ]);
    expect(registry.get('users')!.timeoutMs).toBe(30_000);
    expect(registry.get('orders')!.timeoutMs).toBe(10_000);
    expect(registry.get('nope')).toBeUndefined();
    expect(JSON.parse(JSON.stringify(registry.get('orders')!.targets[0]))).toEqual({
      key: 'http://127.0.0.1:7003',
      url: 'http://127.0.0.1:7003/',
      weight: 1,
      healthy: true,
      state: 'unknown',
      inFlight: 0,
    });
  });
});

describe('reload: new = create(services, { previous: old }); swap; old.close()', () => {
  it('keeps a passively failed target down in the new build, without a second event', () => {
    const { events, seen } = recordHealthEvents();
    const services = {
      svc: service({
        targets: ['http://127.0.0.1:7001', 'http://127.0.0.1:7002'],
        passiveHealth: { failures: 2, cooldown: '1m' },
      }),
    };
    const old = build(services, events);
    failConnects(old.get('svc')!, old.get('svc')!.targets[1]!, 2);
    const next = build(services, events, old);
    old.close();
    const [a, b] = next.get('svc')!.targets as [Target, Target];
    expect(b.healthy).toBe(false);
    expect(b.reason).toMatch(/connect failures/);
    for (let i = 0; i < 5; i++) expect(next.get('svc')!.pick(pickInput())).toBe(a);
    expect(seen).toHaveLength(1);
  });

  it('counts failures reported by requests still running on the old build', () => {
    const services = { svc: service({ targets: ['http://127.0.0.1:7001', 'http://127.0.0.1:7002'] }) };
    const old = build(services);
    const oldPool = old.get('svc')!;
    const next = build(services, createEventStream(), old);
    old.close();
    failConnects(oldPool, oldPool.targets[0]!, 3);
    expect(next.get('svc')!.targets[0]!.healthy).toBe(false);
    // The old pool still serves its own in-flight retries after close().
    expect(oldPool.pick(pickInput())).toBe(oldPool.targets[1]);
  });

  it('keeps an actively failed target down, then the new checker brings it up', async () => {
    const [a, b] = await upstreams(2);
    a!.status = 500;
    const { events, seen } = recordHealthEvents();
    const services = { svc: service({ targets: [a!.url, b!.url], healthCheck: fastCheck }) };
    const old = build(services, events);
    await waitFor(() => !old.get('svc')!.targets[0]!.healthy, 5_000, 'down in the old build');
    const next = build(services, events, old);
    old.close();
    expect(next.get('svc')!.targets[0]!.healthy).toBe(false);
    a!.status = 200;
    await waitFor(() => next.get('svc')!.targets[0]!.healthy, 5_000, 'up through the new checker');
    expect(seen.map((event) => event.healthy)).toEqual([false, true]);
  });

  it('brings a target up when the new config drops its health check', async () => {
    const [a] = await upstreams(1);
    a!.status = 500;
    const { events, seen } = recordHealthEvents();
    const old = build({ svc: service({ targets: [a!.url], healthCheck: fastCheck }) }, events);
    await waitFor(() => !old.get('svc')!.targets[0]!.healthy, 5_000, 'down');
    const next = build({ svc: service({ targets: [a!.url] }) }, events, old);
    const probes = a!.hits.length;
    expect(next.get('svc')!.targets[0]!.healthy).toBe(true);
    expect(seen.at(-1)).toMatchObject({
      healthy: true,
      reason: 'the health check was removed from the config',
    });
    // Until old.close() the old checker may still probe; its verdict no longer counts.
    await waitFor(() => a!.hits.length >= probes + 2, 5_000, 'old probes');
    expect(next.get('svc')!.targets[0]!.healthy).toBe(true);
    old.close();
  });

  it('closing a build that failed later hands everything back to the old one', async () => {
    const [a] = await upstreams(1);
    const services = { svc: service({ targets: [a!.url], healthCheck: fastCheck }) };
    const old = build(services);
    const agent = old.get('svc')!.agent;
    await get(`${a!.url}/warm`, agent);
    const failed = build({ svc: service({ targets: [a!.url] }) }, createEventStream(), old);
    expect(failed.get('svc')!.agent).toBe(agent);
    failed.close();
    // Old keeps its agent (and its pooled socket) and its checker keeps deciding.
    expect(Object.keys(agent.freeSockets)).toHaveLength(1);
    expect(await get(`${a!.url}/after`, agent)).toMatchObject({ status: 200 });
    a!.status = 500;
    await waitFor(() => !old.get('svc')!.targets[0]!.healthy, 5_000, 'old checker still in charge');
  });

  it('shares agents of kept services and retires those of removed ones, letting requests finish', async () => {
    const [a, b] = await upstreams(2);
    const old = build({ kept: service({ targets: [a!.url] }), gone: service({ targets: [b!.url] }) });
    const keptAgent = old.get('kept')!.agent;
    const goneAgent = old.get('gone')!.agent;
    await get(`${a!.url}/`, keptAgent);
    await get(`${b!.url}/`, goneAgent);
    const next = build({ kept: service({ targets: [a!.url] }) }, createEventStream(), old);
    expect(next.get('kept')!.agent).toBe(keptAgent);
    old.close();
    expect(Object.keys(keptAgent.freeSockets)).toHaveLength(1);
    await waitFor(
      () => Object.keys(goneAgent.freeSockets).length === 0,
      5_000,
      'retired agent drops idle sockets',
    );
    expect(await get(`${a!.url}/still`, keptAgent)).toMatchObject({ status: 200 });
    // A later build without `previous`'s agents (old is closed) makes fresh ones.
    const third = build({ kept: service({ targets: [a!.url] }) }, createEventStream(), old);
    expect(third.get('kept')!.agent).not.toBe(keptAgent);
  });

  it('leaks nothing over 200 reloads', async () => {
    const [a, b] = await upstreams(2);
    const resources = trackResources();
    cleanups.push(() => resources.stop());
    const { events } = recordHealthEvents();
    let current = build({ svc: service({ targets: [a!.url, b!.url], healthCheck: fastCheck }) }, events);
    const firstAgent = current.get('svc')!.agent;
    // A service that comes and goes on every other reload gets a fresh agent each time.
    const extraAgents = new Set<Agent>();
    for (let i = 0; i < 200; i++) {
      const services: ResolvedConfig['services'] = {
        svc: service({ targets: [a!.url, b!.url], healthCheck: fastCheck }),
        ...(i % 2 === 0 ? { extra: service({ targets: [`${b!.url}/extra`], healthCheck: fastCheck }) } : {}),
      };
      const next = createUpstreamRegistry(services, { events, previous: current });
      const extra = next.get('extra');
      if (extra) extraAgents.add(extra.agent);
      current.close();
      current = next;
      // Let some probes start so that close() has probes in flight to abort.
      if (i % 10 === 0) await sleep(5);
    }
    cleanups.push(() => current.close());
    expect(current.get('svc')!.agent).toBe(firstAgent);
    const records = current.get('svc')!.targets.map((target) => (target as PoolTarget).record);
    expect(records.map((record) => record.activeOwners.length)).toEqual([1, 1]);
    // Only the live build probes: two targets, one timer each.
    await waitFor(() => resources.count('Timeout') <= 2, 5_000, 'timers of closed builds gone');
    const before = a!.hits.length;
    await sleep(300);
    expect(a!.hits.length - before).toBeLessThan(300 / fastCheck.interval + 4);
    current.close();
    // Destroy hooks arrive a moment after the handles close.
    await waitFor(() => resources.count('TCPWRAP') === 0, 5_000, 'every probe socket closed');
    await waitFor(() => resources.count('Timeout') === 0, 5_000, 'every timer cleared');
    expect(extraAgents.size).toBe(100);
    for (const agent of extraAgents) {
      expect(agent.maxFreeSockets).toBe(0);
      expect(Object.keys(agent.sockets)).toHaveLength(0);
    }
  });
});
