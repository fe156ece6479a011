import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createEventStream } from '../../src/events/event-stream.js';
import { applyProbe } from '../../src/proxy/health-check.js';
import { createHealthRecord } from '../../src/proxy/target-health.js';
import { createUpstreamRegistry } from '../../src/proxy/upstream-registry.js';
import type { Target } from '../../src/proxy/upstream-types.js';
import {
  pickInput,
  recordHealthEvents,
  service,
  sleep,
  trackResources,
  waitFor,
  useUpstreamCleanup,
} from './upstream-fixtures.js';

const fast = { path: '/health', interval: 50, timeout: 500, unhealthyThreshold: 2, healthyThreshold: 1 };
const { cleanups, upstreams } = useUpstreamCleanup();

function registryFor(targets: string[], healthCheck = fast) {
  const { events, seen } = recordHealthEvents();
  const registry = createUpstreamRegistry({ svc: service({ targets, healthCheck }) }, { events });
  cleanups.push(() => registry.close());
  const pool = registry.get('svc')!;
  return { registry, pool, seen, targets: pool.targets as [Target, Target] };
}

describe('active health checks against real upstreams', () => {
  it('takes a target answering 500 out, brings it back on 200, and emits only transitions', async () => {
    const [a, b] = await upstreams(2);
    const { pool, seen, targets } = registryFor([a!.url, b!.url]);
    await waitFor(() => a!.hits.includes('/health') && b!.hits.includes('/health'), 5_000, 'first probes');

    a!.status = 500;
    await waitFor(() => !targets[0].healthy, 5_000, 'a down');
    expect(targets[0].reason).toMatch(/GET \/health answered 500/);
    for (let i = 0; i < 10; i++) expect(pool.pick(pickInput())).toBe(targets[1]);
    const probesWhileDown = a!.hits.length;
    await waitFor(() => a!.hits.length >= probesWhileDown + 3, 5_000, 'more probes while down');

    a!.status = 200;
    await waitFor(() => targets[0].healthy, 5_000, 'a up');
    expect(seen.map(({ target, healthy }) => ({ target, healthy }))).toEqual([
      { target: a!.url, healthy: false },
      { target: a!.url, healthy: true },
    ]);
    expect(seen[0]!.reason).toMatch(/answered 500/);
    expect(seen[1]!.reason).toMatch(/answered 200/);
    expect(seen[0]).toMatchObject({ type: 'target-health', service: 'svc' });
    const picked = new Set(Array.from({ length: 4 }, () => pool.pick(pickInput())!.key));
    expect(picked).toEqual(new Set([a!.url, b!.url]));
  });

  it('marks a closed upstream down with the connect error and up again when it listens', async () => {
    const [a] = await upstreams(1);
    const { seen, targets } = registryFor([a!.url]);
    await waitFor(() => a!.hits.includes('/health'), 5_000, 'first probe');
    await a!.close();
    await waitFor(() => !targets[0].healthy, 5_000, 'down');
    expect(targets[0].reason).toMatch(/ECONNREFUSED/);
    await a!.reopen();
    await waitFor(() => targets[0].healthy, 5_000, 'up');
    expect(seen.map((event) => event.healthy)).toEqual([false, true]);
  });

  it('counts a probe slower than the timeout as a failure', async () => {
    const hanging = createServer(() => {});
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          hanging.closeAllConnections();
          hanging.close(() => resolve());
        }),
    );
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    const { targets } = registryFor([url], { ...fast, timeout: 100, unhealthyThreshold: 1 });
    await waitFor(() => !targets[0].healthy, 5_000, 'down on timeout');
    expect(targets[0].reason).toMatch(/timed out after 100 ms/);
  });

  it('probes the path under the target base path', async () => {
    const [a] = await upstreams(1);
    registryFor([`${a!.url}/base`]);
    await waitFor(() => a!.hits.includes('/base/health'), 5_000, 'probe under the base path');
  });

  it('close() stops the probes and leaves no timer behind', async () => {
    const [a] = await upstreams(1);
    const resources = trackResources();
    cleanups.push(() => resources.stop());
    const { registry } = registryFor([a!.url]);
    await waitFor(() => a!.hits.length >= 3, 5_000, 'probes');
    expect(resources.count('Timeout')).toBeGreaterThan(0);
    registry.close();
    const probes = a!.hits.length;
    // Several intervals: not one more probe may arrive.
    await sleep(300);
    expect(a!.hits.length).toBe(probes);
    // Destroy hooks arrive a moment after the timers are cleared.
    await waitFor(() => resources.count('Timeout') === 0, 5_000, 'timers cleared');
  });
});

describe('thresholds', () => {
  const cases = [
    { unhealthyThreshold: 1, healthyThreshold: 1, results: [false], down: true },
    { unhealthyThreshold: 3, healthyThreshold: 1, results: [false, false], down: false },
    { unhealthyThreshold: 3, healthyThreshold: 1, results: [false, false, true, false, false], down: false },
    { unhealthyThreshold: 3, healthyThreshold: 1, results: [false, false, false], down: true },
    { unhealthyThreshold: 1, healthyThreshold: 2, results: [false, true], down: true },
    { unhealthyThreshold: 1, healthyThreshold: 2, results: [false, true, true], down: false },
    { unhealthyThreshold: 1, healthyThreshold: 2, results: [false, true, false, true], down: true },
  ];

  it.each(cases)(
    'unhealthy $unhealthyThreshold / healthy $healthyThreshold after $results → down: $down',
    ({ unhealthyThreshold, healthyThreshold, results, down }) => {
      const events = createEventStream();
      const record = createHealthRecord('svc', 'http://127.0.0.1:1', { version: 0 });
      const owner = { checks: true };
      record.activeOwners.push(owner);
      const config = { ...fast, unhealthyThreshold, healthyThreshold };
      for (const ok of results)
        applyProbe(record, owner, { ok, detail: ok ? 'ok' : 'bad' }, config, events, 0);
      expect(record.activeDown).toBe(down);
    },
  );

  it('ignores results from a build that no longer owns the record', () => {
    const record = createHealthRecord('svc', 'http://127.0.0.1:1', { version: 0 });
    const old = { checks: true };
    record.activeOwners.push(old, { checks: false });
    applyProbe(
      record,
      old,
      { ok: false, detail: 'bad' },
      { ...fast, unhealthyThreshold: 1 },
      createEventStream(),
      0,
    );
    expect(record.activeDown).toBe(false);
  });
});
