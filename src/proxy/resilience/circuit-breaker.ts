import type { EventStream } from '../../events/event-stream.js';
import { RollingCounts } from './circuit-breaker-window.js';
import type { ResolvedCircuitBreaker } from './circuit-breaker-schema.js';

export type BreakerState = 'closed' | 'open' | 'half-open';
export type BreakerOutcome = 'success' | 'failure' | 'cancel';

/** One target's breaker. Lives in the gateway state, so a reload keeps it open or closed. */
export interface BreakerRecord {
  readonly service: string;
  readonly target: string;
  readonly settings: ResolvedCircuitBreaker;
  /** The settings as text: a reload that changes them starts this breaker fresh. */
  readonly fingerprint: string;
  state: BreakerState;
  /** Bumped on every state change, so a late answer from an earlier episode changes nothing. */
  generation: number;
  failures: number;
  openUntil: number;
  probes: number;
  probeSuccesses: number;
  readonly window: RollingCounts | undefined;
}

/** Admitted as an ordinary request. Probes get the generation (> 0); refusals get REFUSED. */
export const ADMITTED = 0;
export const REFUSED = -1;

export function createBreakerRecord(
  service: string,
  target: string,
  settings: ResolvedCircuitBreaker,
): BreakerRecord {
  return {
    service,
    target,
    settings,
    fingerprint: JSON.stringify(settings),
    state: 'closed',
    generation: 1,
    failures: 0,
    openUntil: 0,
    probes: 0,
    probeSuccesses: 0,
    window: settings.failureRatio === undefined ? undefined : new RollingCounts(settings.window),
  };
}

function moveTo(record: BreakerRecord, state: BreakerState, now: number, events: EventStream): void {
  record.state = state;
  record.generation++;
  record.failures = 0;
  record.probes = 0;
  record.probeSuccesses = 0;
  if (state === 'open') record.openUntil = now + record.settings.cooldown;
  // A closed breaker starts counting afresh: the failures that opened it are history.
  if (state === 'closed') record.window?.clear();
  events.emit({
    type: 'breaker-state',
    at: Date.now(),
    service: record.service,
    target: record.target,
    state,
  });
}

/** ADMITTED, a probe ticket (> 0), or REFUSED. Open turns half-open here once the cooldown ran out. */
export function admit(record: BreakerRecord, now: number, events: EventStream): number {
  if (record.state === 'closed') return ADMITTED;
  if (record.state === 'open') {
    if (now < record.openUntil) return REFUSED;
    moveTo(record, 'half-open', now, events);
  }
  if (record.probes >= record.settings.halfOpenRequests) return REFUSED;
  record.probes++;
  return record.generation;
}

/** Milliseconds a refused caller should wait (Retry-After). */
export function retryAfterMs(record: BreakerRecord, now: number): number {
  return record.state === 'open' ? Math.max(0, record.openUntil - now) : 1000;
}

/** Reports how an admitted request went. `cancel`: the client left before the upstream answered. */
export function settle(
  record: BreakerRecord,
  ticket: number,
  outcome: BreakerOutcome,
  now: number,
  events: EventStream,
): void {
  if (ticket > 0) {
    // A probe of an episode that already ended (the breaker moved on) decides nothing.
    if (ticket !== record.generation || record.state !== 'half-open') return;
    record.probes--;
    if (outcome === 'failure') moveTo(record, 'open', now, events);
    else if (outcome === 'success' && ++record.probeSuccesses >= record.settings.halfOpenRequests)
      moveTo(record, 'closed', now, events);
    return;
  }
  // Answers to requests admitted while closed count only while it is still closed.
  if (record.state !== 'closed' || outcome === 'cancel') return;
  const failed = outcome === 'failure';
  record.failures = failed ? record.failures + 1 : 0;
  if (record.failures >= record.settings.failureThreshold) return moveTo(record, 'open', now, events);
  const window = record.window;
  if (!window) return;
  window.add(now, 1, failed ? 1 : 0);
  if (!failed) return;
  const [requests, failures] = window.totals(now);
  if (requests >= record.settings.minimumRequests && failures / requests >= record.settings.failureRatio!) {
    moveTo(record, 'open', now, events);
  }
}
