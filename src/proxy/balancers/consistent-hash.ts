import type { Balancer, BalancedTarget } from './types.js';
import { isExcluded } from './types.js';
import { createKeyReader, hashString } from './hash-key.js';

/** Points per target on the ring (ketama uses 160): enough for an even split of keys. */
export const VIRTUAL_NODES = 160;

interface Ring {
  /** Sorted hash positions. */
  readonly points: Uint32Array;
  /** Target index owning each point. */
  readonly owners: Uint32Array;
}

/**
 * Each target's points come from its own key only, so adding a target takes over about 1/n of
 * the keys and leaves every other key where it was.
 */
export function buildRing(keys: readonly string[], virtualNodes = VIRTUAL_NODES): Ring {
  const entries: Array<[number, number]> = [];
  keys.forEach((key, index) => {
    for (let v = 0; v < virtualNodes; v++) entries.push([hashString(`${key}#${v}`), index]);
  });
  entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return {
    points: Uint32Array.from(entries, (entry) => entry[0]),
    owners: Uint32Array.from(entries, (entry) => entry[1]),
  };
}

/** Index of the first point at or after `hash`, wrapping to 0. */
function findSlot(points: Uint32Array, hash: number): number {
  let low = 0;
  let high = points.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (points[mid]! < hash) low = mid + 1;
    else high = mid;
  }
  return low === points.length ? 0 : low;
}

/**
 * `{ hash: 'ip' | 'header:NAME' | 'cookie:NAME' }`: the same key goes to the same target while
 * it is up. A down target's keys go to the next eligible point clockwise (and come back when it
 * recovers); `nextEligible` is recomputed on health changes so a pick is a binary search plus
 * one array read.
 */
export function createConsistentHash<T extends BalancedTarget>(
  targets: readonly T[],
  spec: string,
): Balancer<T> {
  const readKey = createKeyReader(spec);
  const { points, owners } = buildRing(targets.map((target) => target.key));
  const size = points.length;
  const nextEligible = new Int32Array(size);

  function reset(flags: readonly boolean[]): void {
    // Two passes backwards around the ring resolve the wrap-around.
    let next = -1;
    for (let pass = 0; pass < 2; pass++) {
      for (let slot = size - 1; slot >= 0; slot--) {
        if (flags[owners[slot]!]) next = slot;
        nextEligible[slot] = next;
      }
    }
  }

  reset(targets.map(() => true));

  return {
    reset,
    pick(input) {
      if (size === 0) return undefined;
      const first = nextEligible[findSlot(points, hashString(readKey(input)))]!;
      if (first < 0) return undefined;
      const chosen = targets[owners[first]!]!;
      if (!isExcluded(chosen, input.exclude)) return chosen;
      // A retry: keep walking clockwise to the next untried eligible target.
      let slot = first;
      for (let step = 0; step < size; step++) {
        slot = nextEligible[(slot + 1) % size]!;
        const candidate = targets[owners[slot]!]!;
        if (!isExcluded(candidate, input.exclude)) return candidate;
      }
      return chosen;
    },
  };
}
