import type { Balancer, BalancedTarget } from './types.js';
import { isExcluded } from './types.js';

/** Each eligible target in turn. */
export function createRoundRobin<T extends BalancedTarget>(targets: readonly T[]): Balancer<T> {
  let eligible: readonly T[] = targets;
  let cursor = 0;
  return {
    reset(flags) {
      eligible = targets.filter((target) => flags[target.index]);
    },
    pick({ exclude }) {
      const count = eligible.length;
      if (count === 0) return undefined;
      const first = eligible[cursor % count]!;
      cursor = (cursor % count) + 1;
      if (!isExcluded(first, exclude)) return first;
      // A retry: the next one in turn that was not tried yet, else the same one again.
      for (let step = 1; step < count; step++) {
        const next = eligible[cursor % count]!;
        cursor = (cursor % count) + 1;
        if (!isExcluded(next, exclude)) return next;
      }
      return first;
    },
  };
}
