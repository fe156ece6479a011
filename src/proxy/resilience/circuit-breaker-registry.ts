import { GatewayError } from '../../errors.js';
import type { EventStream } from '../../events/event-stream.js';
import type { BuildContext } from '../../pipeline/types.js';
import type { PickInput, Target, UpstreamPool } from '../upstream-types.js';
import { admit, createBreakerRecord, REFUSED, retryAfterMs, type BreakerRecord } from './circuit-breaker.js';

/** Where breakers live in the gateway state: one record per service and target. */
const STATE_KEY = 'gw.circuit-breakers';

/** The breakers of one service in one build, by target key. */
export type ServiceBreakers = ReadonlyMap<string, BreakerRecord>;

const perBuild = new WeakMap<BuildContext, Map<string, ServiceBreakers | undefined>>();

const recordKey = (service: string, target: string) => `${service}\u0000${target}`;

/**
 * The breakers of `service` for this build, or undefined when it has none. Records come from the
 * gateway state (a reload that keeps the settings keeps the state); the first call of a build
 * drops records that the new config no longer has, so reloads never pile them up.
 */
export function serviceBreakers(build: BuildContext, service: string): ServiceBreakers | undefined {
  let services = perBuild.get(build);
  if (!services) {
    services = new Map();
    perBuild.set(build, services);
    pruneRecords(build);
  }
  if (services.has(service)) return services.get(service);
  const settings = build.config.services[service]?.circuitBreaker;
  const pool = build.upstreams.get(service);
  let breakers: Map<string, BreakerRecord> | undefined;
  if (settings && pool) {
    const records = recordsOf(build);
    breakers = new Map();
    for (const target of pool.targets) {
      const key = recordKey(service, target.key);
      let record = records.get(key);
      if (!record || record.fingerprint !== JSON.stringify(settings)) {
        if (record) forget(record, build);
        record = createBreakerRecord(service, target.key, settings);
        records.set(key, record);
      }
      breakers.set(target.key, record);
    }
  }
  services.set(service, breakers);
  return breakers;
}

function recordsOf(build: BuildContext): Map<string, BreakerRecord> {
  let records = build.state.maps.get(STATE_KEY) as Map<string, BreakerRecord> | undefined;
  if (!records) {
    records = new Map();
    build.state.maps.set(STATE_KEY, records);
  }
  return records;
}

function pruneRecords(build: BuildContext): void {
  const records = build.state.maps.get(STATE_KEY) as Map<string, BreakerRecord> | undefined;
  if (!records) return;
  const wanted = new Set<string>();
  for (const [name, service] of Object.entries(build.config.services)) {
    if (!service.circuitBreaker) continue;
    for (const target of build.upstreams.get(name)?.targets ?? []) wanted.add(recordKey(name, target.key));
  }
  for (const [key, record] of records) {
    if (wanted.has(key)) continue;
    records.delete(key);
    forget(record, build);
  }
}

/** A breaker that is replaced or removed refuses nothing any more: say so to views and metrics. */
function forget(record: BreakerRecord, build: BuildContext): void {
  if (record.state === 'closed') return;
  build.events.emit({
    type: 'breaker-state',
    at: Date.now(),
    service: record.service,
    target: record.target,
    state: 'closed',
  });
}

export interface PickedTarget {
  target: Target;
  /** The breaker the answer must be reported to, and the admission ticket. */
  breaker: BreakerRecord | undefined;
  ticket: number;
}

/**
 * A target chosen by the balancer whose breaker lets the request through; targets with an open
 * breaker are skipped like tried ones. Undefined when no target is healthy; GW_CIRCUIT_OPEN
 * (with Retry-After) when every candidate's breaker refused.
 */
export function pickTarget(
  pool: UpstreamPool,
  breakers: ServiceBreakers | undefined,
  input: PickInput,
  events: EventStream,
): PickedTarget | GatewayError | undefined {
  const first = pool.pick(input);
  if (!first || !breakers) return first && { target: first, breaker: undefined, ticket: 0 };
  const now = Date.now();
  let target: Target = first;
  let refused: Set<string> | undefined;
  let waitMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i <= pool.targets.length; i++) {
    const breaker = breakers.get(target.key);
    const ticket = breaker ? admit(breaker, now, events) : 0;
    if (ticket !== REFUSED) return { target, breaker, ticket };
    waitMs = Math.min(waitMs, retryAfterMs(breaker!, now));
    refused ??= new Set(input.exclude);
    refused.add(target.key);
    const next = pool.pick({ req: input.req, clientIp: input.clientIp, exclude: refused });
    // The balancer hands back an avoided target only when nothing else is left.
    if (!next || (refused.has(next.key) && !input.exclude?.has(next.key))) break;
    target = next;
  }
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new GatewayError('GW_CIRCUIT_OPEN', `The circuit breaker of ${pool.name} is open`, {
    hint: `${pool.name} failed repeatedly; gw tries it again in ${seconds} s`,
    headers: { 'retry-after': String(seconds) },
    extensions: { service: pool.name },
  });
}
