import type { EventStream } from '../events/event-stream.js';

/**
 * The health of one target of one service. It is a fact about the target, not about a build, so
 * one record is shared by every registry built while the target stays in the config: a reload
 * keeps a down target down, and a failure reported by a request still running on the old
 * gateway counts for the new one.
 */
export interface HealthRecord {
  readonly service: string;
  readonly key: string;
  /** Bumped on every change that can alter which targets may be picked. */
  readonly clock: HealthClock;
  /**
   * Whether a probe or a request has succeeded on this target yet. Until then (and until it is
   * taken out) its state is `unknown`: routable, but not reported as healthy (issue 15).
   */
  checked: boolean;

  // Active checks
  activeDown: boolean;
  activeReason: string | undefined;
  probeFailures: number;
  probeSuccesses: number;
  /**
   * Builds that may write the active state, oldest first; the last one owns it. A reload pushes
   * the new build, closing a build removes it, so the old checker's last probe cannot undo what
   * the new config decided (e.g. a removed health check) and a failed build hands control back.
   */
  readonly activeOwners: HealthOwner[];

  // Passive checks
  /** Connect failures in a row. */
  connectFailures: number;
  /** 'out': cooling down until `until`; 'trial': one request decides, lost if not back by `until`. */
  passive: 'up' | 'out' | 'trial';
  until: number;
  passiveReason: string | undefined;
}

/** A build's claim on a service's records; `checks` says whether that build probes them. */
export interface HealthOwner {
  readonly checks: boolean;
}

/** One per service, shared across builds like the records. */
export interface HealthClock {
  version: number;
}

export function createHealthRecord(service: string, key: string, clock: HealthClock): HealthRecord {
  return {
    service,
    key,
    clock,
    checked: false,
    activeDown: false,
    activeReason: undefined,
    probeFailures: 0,
    probeSuccesses: 0,
    activeOwners: [],
    connectFailures: 0,
    passive: 'up',
    until: 0,
    passiveReason: undefined,
  };
}

export function isHealthy(record: HealthRecord): boolean {
  return !record.activeDown && record.passive === 'up';
}

/** `unknown` until first probed or used, then healthy or unhealthy. */
export type HealthState = 'unknown' | 'healthy' | 'unhealthy';

export function healthState(record: HealthRecord): HealthState {
  if (!isHealthy(record)) return 'unhealthy';
  return record.checked ? 'healthy' : 'unknown';
}

export function downReason(record: HealthRecord): string | undefined {
  if (record.activeDown) return record.activeReason;
  if (record.passive !== 'up') return record.passiveReason;
  return undefined;
}

/** May a request go to this target now? A cooled-down target may take one trial request. */
export function isEligible(record: HealthRecord, now: number): boolean {
  if (record.activeDown) return false;
  return record.passive === 'up' || now >= record.until;
}

/**
 * Applies `change` to a record, tells pools to recompute who may be picked, and emits a
 * `target-health` event when the target went up or down (only on transitions).
 */
export function changeHealth(
  record: HealthRecord,
  events: EventStream,
  now: number,
  upReason: string,
  change: (record: HealthRecord) => void,
): void {
  const before = isHealthy(record);
  change(record);
  record.clock.version++;
  const after = isHealthy(record);
  if (before === after) return;
  events.emit({
    type: 'target-health',
    at: now,
    service: record.service,
    target: record.key,
    healthy: after,
    reason: after ? upReason : (downReason(record) ?? 'down'),
  });
}
