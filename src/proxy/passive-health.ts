import type { EventStream } from '../events/event-stream.js';
import { changeHealth } from './target-health.js';
import type { HealthRecord } from './target-health.js';

export interface PassivePolicy {
  /** Connect failures in a row that take a target out. */
  failures: number;
  cooldownMs: number;
  /** How long a trial request may take before another request may try instead. */
  trialMs: number;
}

/**
 * Passive health from what real requests report: N connect failures in a row take a target out
 * for the cooldown; then one request tries it (half-open) and its outcome decides. Only connect
 * failures count: an upstream that answers 500 or resets mid-response is reachable, and that is
 * what a breaker policy judges, not this.
 */
export function reportOutcome(
  record: HealthRecord,
  outcome: 'ok' | 'connect-failed' | 'failed',
  policy: PassivePolicy,
  events: EventStream,
  now: number,
): void {
  // Connected (answered, or reset after connecting) proves the target reachable; a connect
  // failure below the threshold proves nothing either way.
  if (outcome !== 'connect-failed') record.checked = true;
  if (outcome === 'ok') {
    record.connectFailures = 0;
    if (record.passive === 'trial') {
      changeHealth(record, events, now, 'a request succeeded after the cooldown', (r) => {
        r.passive = 'up';
        r.passiveReason = undefined;
      });
    }
    return;
  }
  if (outcome === 'failed') {
    // Undecided (client abort, reset after connect): let the next request be the trial.
    if (record.passive === 'trial') {
      changeHealth(record, events, now, '', (r) => {
        r.passive = 'out';
        r.until = now;
      });
    }
    return;
  }
  if (record.passive === 'trial') {
    changeHealth(record, events, now, '', (r) => {
      r.passive = 'out';
      r.until = now + policy.cooldownMs;
      r.passiveReason = `the trial request after the cooldown could not connect; out for ${policy.cooldownMs} ms`;
    });
    return;
  }
  if (record.passive === 'out') return;
  record.connectFailures++;
  if (record.connectFailures < policy.failures) return;
  changeHealth(record, events, now, '', (r) => {
    r.passive = 'out';
    r.until = now + policy.cooldownMs;
    r.connectFailures = 0;
    r.passiveReason = `${policy.failures} connect failure${policy.failures === 1 ? '' : 's'} in a row; out for ${policy.cooldownMs} ms`;
  });
}

/** The balancer picked a target whose cooldown is over: this request is its trial. */
export function beginTrial(
  record: HealthRecord,
  policy: PassivePolicy,
  events: EventStream,
  now: number,
): void {
  changeHealth(record, events, now, '', (r) => {
    r.passive = 'trial';
    r.until = now + policy.trialMs;
  });
}
