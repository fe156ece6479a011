import type { Agent } from 'node:http';
import type { EventStream } from '../events/event-stream.js';
import type { ResolvedService } from '../config/schema.js';
import type { PickInput, Target, UpstreamPool } from './upstream-types.js';
import { createBalancer } from './balancers/index.js';
import type { BalancedTarget } from './balancers/index.js';
import { downReason, healthState, isEligible, isHealthy } from './target-health.js';
import type { HealthClock, HealthRecord, HealthState } from './target-health.js';
import { beginTrial, reportOutcome } from './passive-health.js';
import type { PassivePolicy } from './passive-health.js';
import type { TargetTls } from './upstream-tls.js';

export const DEFAULT_TIMEOUT_MS = 30_000;

/** A target of one built pool: static facts, its in-flight count, and the shared health record. */
export class PoolTarget implements BalancedTarget {
  inFlight = 0;

  constructor(
    readonly pool: UpstreamPool,
    readonly index: number,
    readonly key: string,
    readonly url: URL,
    readonly weight: number,
    readonly agent: Agent,
    readonly record: HealthRecord,
    readonly tls: TargetTls | undefined,
  ) {}

  get healthy(): boolean {
    return isHealthy(this.record);
  }

  get reason(): string | undefined {
    return downReason(this.record);
  }

  /** `unknown` until first probed or used successfully, then healthy or unhealthy. */
  get state(): HealthState {
    return healthState(this.record);
  }

  /** What `/__gw/health` and logs show (the agent and the record stay out of it). */
  toJSON() {
    const { key, weight, healthy, state, inFlight, reason } = this;
    return { key, url: this.url.href, weight, healthy, state, inFlight, reason };
  }
}

/** 'http://127.0.0.1:8001/' → 'http://127.0.0.1:8001': a request path is appended to it. */
export function targetKey(url: URL): string {
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export interface PoolTargetInit {
  readonly url: URL;
  readonly weight: number;
  readonly agent: Agent;
  readonly record: HealthRecord;
  /** TLS settings of an https:// target. */
  readonly tls?: TargetTls | undefined;
}

export interface PoolInit {
  readonly name: string;
  readonly service: ResolvedService;
  readonly targets: readonly PoolTargetInit[];
  readonly clock: HealthClock;
  readonly events: EventStream;
  readonly now: () => number;
}

/**
 * One service's targets behind its balancer. Who may be picked is recomputed only when a health
 * record changed (the service's clock moved) or a cooldown ran out, so a pick is the balancer's
 * O(1)/O(log n) step plus two comparisons.
 */
export function createUpstreamPool(init: PoolInit): UpstreamPool {
  const { clock, events, now } = init;
  const timeoutMs = init.service.timeout ?? DEFAULT_TIMEOUT_MS;
  const passive: PassivePolicy = {
    failures: init.service.passiveHealth.failures,
    cooldownMs: init.service.passiveHealth.cooldown,
    // A trial that never reports back (a lost request) must not keep the target out for good.
    trialMs: timeoutMs + 1_000,
  };
  const targets: PoolTarget[] = [];
  const eligible: boolean[] = [];
  let seenVersion = -1;
  /** When the next cooldown or trial ends (0: none pending). */
  let wakeAt = 0;

  function refresh(at: number): void {
    seenVersion = clock.version;
    wakeAt = 0;
    for (const target of targets) {
      const record = target.record;
      eligible[target.index] = isEligible(record, at);
      if (!record.activeDown && record.passive !== 'up' && record.until > at) {
        wakeAt = wakeAt === 0 ? record.until : Math.min(wakeAt, record.until);
      }
    }
    balancer.reset(eligible);
  }

  function own(target: Target): PoolTarget | undefined {
    return target instanceof PoolTarget && target.pool === pool ? target : undefined;
  }

  const pool: UpstreamPool = {
    name: init.name,
    targets,
    timeoutMs,
    protocol: init.service.protocol,
    hostHeader: init.service.hostHeader,
    get agent() {
      return targets[0]!.agent;
    },
    pick(input: PickInput) {
      if (clock.version !== seenVersion) refresh(now());
      else if (wakeAt !== 0) {
        const at = now();
        if (at >= wakeAt) refresh(at);
      }
      const target = balancer.pick(input);
      if (target !== undefined && target.record.passive !== 'up')
        beginTrial(target.record, passive, events, now());
      return target;
    },
    started(target) {
      const mine = own(target);
      if (!mine) return;
      mine.inFlight++;
      balancer.started?.(mine);
    },
    finished(target, outcome) {
      const mine = own(target);
      if (!mine) return;
      mine.inFlight = Math.max(0, mine.inFlight - 1);
      balancer.finished?.(mine);
      reportOutcome(mine.record, outcome, passive, events, now());
    },
  };

  init.targets.forEach((t, index) => {
    targets.push(new PoolTarget(pool, index, targetKey(t.url), t.url, t.weight, t.agent, t.record, t.tls));
    eligible.push(true);
  });
  const balancer = createBalancer(init.service.balance, targets);
  return pool;
}
