import type { Agent } from 'node:http';
import type { EventStream } from '../events/event-stream.js';
import type { ResolvedConfig, ResolvedService } from '../config/schema.js';
import type { UpstreamPool, UpstreamRegistry } from './upstream-types.js';
import { createUpstreamPool, targetKey } from './upstream-pool.js';
import type { PoolTargetInit } from './upstream-pool.js';
import { startHealthChecks } from './health-check.js';
import { createKeepAliveAgent, retireAgent } from './keep-alive-agent.js';
import { retireUndiciPools } from './undici-pools.js';
import { changeHealth, createHealthRecord } from './target-health.js';
import { createUpstreamTlsFactory, targetTls, type UpstreamTls } from './upstream-tls.js';
import { serviceTlsFiles } from './upstream-tls-files.js';
import type { HealthClock, HealthOwner, HealthRecord } from './target-health.js';

export interface UpstreamRegistryOptions {
  events: EventStream;
  /** The registry of the config being replaced: health state and agents carry over from it. */
  previous?: UpstreamRegistry;
  now?: () => number;
}

/** An agent shared by the builds that use it; the last one to close frees it. */
interface SharedAgent {
  readonly agent: Agent;
  users: number;
}

/** What a later build takes over from this one. Never holds the previous build itself. */
interface Handover {
  closed: boolean;
  readonly clocks: ReadonlyMap<string, HealthClock>;
  /** service → target key → record */
  readonly records: ReadonlyMap<string, ReadonlyMap<string, HealthRecord>>;
  /** service → protocol (with the TLS settings' id for https) → agent */
  readonly agents: ReadonlyMap<string, ReadonlyMap<string, SharedAgent>>;
}

const handovers = new WeakMap<UpstreamRegistry, Handover>();

function targetsOf(service: ResolvedService): Array<{ url: URL; weight: number }> {
  return service.targets.map((target) =>
    typeof target === 'string'
      ? { url: new URL(target), weight: 1 }
      : { url: new URL(target.url), weight: target.weight },
  );
}

/**
 * Builds every service's pool once per config load. On a reload, build the new registry with
 * `previous: old`, swap it in, then `old.close()`:
 * - health records are shared with the old build (a down target stays down; its failures count);
 * - the new build takes over the active state of each record (the old checker's late probes are
 *   ignored) and hands it back if it is closed first (a build that failed after this step);
 * - agents of unchanged services are shared and counted: `old.close()` frees only those no open
 *   build uses, and lets requests still running on them finish.
 * Pools of a closed registry keep working for requests in flight; only timers and agents stop.
 */
export function createUpstreamRegistry(
  services: ResolvedConfig['services'],
  options: UpstreamRegistryOptions,
): UpstreamRegistry {
  const { events } = options;
  const now = options.now ?? Date.now;
  const previous = options.previous ? handovers.get(options.previous) : undefined;
  const clocks = new Map<string, HealthClock>();
  const records = new Map<string, Map<string, HealthRecord>>();
  const agents = new Map<string, Map<string, SharedAgent>>();
  const owners = new Map<HealthRecord, HealthOwner>();
  const stops: Array<() => void> = [];
  const pools = new Map<string, UpstreamPool>();
  const upstreamTls = createUpstreamTlsFactory();

  for (const [name, service] of Object.entries(services)) {
    // https:// targets: the service's TLS settings, its files as read when the config was resolved.
    let tls: UpstreamTls | undefined;
    const tlsOf = () => (tls ??= upstreamTls(service.tls, serviceTlsFiles(name, service, process.cwd())));
    const clock = previous?.clocks.get(name) ?? { version: 0 };
    const serviceRecords = new Map<string, HealthRecord>();
    const serviceAgents = new Map<string, SharedAgent>();
    const owner: HealthOwner = { checks: service.healthCheck !== undefined };
    clocks.set(name, clock);
    records.set(name, serviceRecords);
    agents.set(name, serviceAgents);

    const targets: PoolTargetInit[] = targetsOf(service).map(({ url, weight }) => {
      const key = targetKey(url);
      let record = serviceRecords.get(key);
      if (!record) {
        record = previous?.records.get(name)?.get(key) ?? createHealthRecord(name, key, clock);
        serviceRecords.set(key, record);
        claimActiveState(record, owner, events, now());
        owners.set(record, owner);
      }
      const secure = url.protocol === 'https:' ? tlsOf() : undefined;
      // Changed TLS settings (or file contents) get a new agent; unchanged ones keep their sockets.
      const agentKey = secure ? `https:${secure.id}` : url.protocol;
      let shared = serviceAgents.get(agentKey);
      if (!shared) {
        // A closed build already retired its agents: only an open one can lend them.
        const reusable = previous && !previous.closed ? previous.agents.get(name)?.get(agentKey) : undefined;
        shared = reusable ?? { agent: createKeepAliveAgent(url.protocol, secure), users: 0 };
        shared.users++;
        serviceAgents.set(agentKey, shared);
      }
      return { url, weight, agent: shared.agent, record, tls: secure && targetTls(secure, url) };
    });

    pools.set(name, createUpstreamPool({ name, service, targets, clock, events, now }));
    if (service.healthCheck) {
      const checked = targets.map(({ url, record, tls }) => ({ url, record, tls }));
      stops.push(startHealthChecks(checked, service.healthCheck, owner, events, now, service.protocol));
    }
  }

  const handover: Handover = { closed: false, clocks, records, agents };
  const poolList = [...pools.values()];
  const registry: UpstreamRegistry = {
    get(service) {
      return pools.get(service);
    },
    pools() {
      return poolList;
    },
    close() {
      if (handover.closed) return;
      handover.closed = true;
      for (const stop of stops) stop();
      for (const [record, owner] of owners) releaseActiveState(record, owner, events, now());
      for (const serviceAgents of agents.values()) {
        for (const shared of serviceAgents.values()) {
          shared.users--;
          if (shared.users === 0) {
            retireAgent(shared.agent);
            retireUndiciPools(shared.agent);
          }
        }
      }
    },
  };
  handovers.set(registry, handover);
  return registry;
}

/** This build now decides the record's active state; without a health check, it is up. */
function claimActiveState(record: HealthRecord, owner: HealthOwner, events: EventStream, now: number): void {
  record.activeOwners.push(owner);
  if (!owner.checks) resetActiveState(record, events, now);
}

function releaseActiveState(
  record: HealthRecord,
  owner: HealthOwner,
  events: EventStream,
  now: number,
): void {
  const wasOwner = record.activeOwners.at(-1) === owner;
  const index = record.activeOwners.lastIndexOf(owner);
  if (index !== -1) record.activeOwners.splice(index, 1);
  const next = record.activeOwners.at(-1);
  if (wasOwner && next && !next.checks) resetActiveState(record, events, now);
}

function resetActiveState(record: HealthRecord, events: EventStream, now: number): void {
  record.probeFailures = 0;
  record.probeSuccesses = 0;
  if (!record.activeDown) return;
  changeHealth(record, events, now, 'the health check was removed from the config', (r) => {
    r.activeDown = false;
    r.activeReason = undefined;
  });
}
