import type { PickInput, Target } from '../upstream-types.js';

/** A target as balancers see it: its position in the service's target list. */
export interface BalancedTarget extends Target {
  readonly index: number;
}

/**
 * A load-balancing strategy. Everything it needs is computed when it is built and again in
 * `reset` when a target goes up or down (rare); `pick` stays O(1) or O(log n) per request.
 */
export interface Balancer<T extends BalancedTarget> {
  /** Which targets may be picked now, by `index`. Called on health changes, never per request. */
  reset(eligible: readonly boolean[]): void;
  /**
   * A target that may be picked, avoiding `input.exclude` when another one is available;
   * undefined when none may be picked.
   */
  pick(input: PickInput): T | undefined;
  /** In-flight bookkeeping, after the target's `inFlight` changed (least-connections uses it). */
  started?(target: T): void;
  finished?(target: T): void;
}

export function isExcluded(target: Target, exclude: ReadonlySet<string> | undefined): boolean {
  return exclude !== undefined && exclude.size > 0 && exclude.has(target.key);
}
