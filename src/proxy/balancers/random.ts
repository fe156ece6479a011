import type { Balancer, BalancedTarget } from './types.js';
import { isExcluded } from './types.js';

/** A uniformly random eligible target. */
export function createRandom<T extends BalancedTarget>(
  targets: readonly T[],
  random: () => number = Math.random,
): Balancer<T> {
  let eligible: readonly T[] = targets;
  return {
    reset(flags) {
      eligible = targets.filter((target) => flags[target.index]);
    },
    pick({ exclude }) {
      const count = eligible.length;
      if (count === 0) return undefined;
      const start = Math.floor(random() * count);
      const first = eligible[start]!;
      if (!isExcluded(first, exclude)) return first;
      // A retry: the next untried one after the random start keeps the choice uniform enough.
      for (let step = 1; step < count; step++) {
        const next = eligible[(start + step) % count]!;
        if (!isExcluded(next, exclude)) return next;
      }
      return first;
    },
  };
}
