import type { Balancer, BalancedTarget } from './types.js';
import { isExcluded } from './types.js';

/** Longest precomputed cycle; larger weight sums are scaled down to fit (proportions kept). */
const MAX_CYCLE = 10_000;

function greatestCommonDivisor(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Weights reduced by their common divisor and, if the cycle would be huge, scaled to fit. */
function cycleWeights(weights: readonly number[]): number[] {
  const divisor = weights.reduce(greatestCommonDivisor);
  let reduced = weights.map((weight) => weight / divisor);
  const total = reduced.reduce((sum, weight) => sum + weight, 0);
  if (total > MAX_CYCLE)
    reduced = reduced.map((weight) => Math.max(1, Math.round((weight * MAX_CYCLE) / total)));
  return reduced;
}

/**
 * nginx's smooth weighted round robin, run once over a whole cycle at build time: weights 5,1,1
 * give a a b a c a a (spread out, not a a a a a b c), and each target gets exactly its share of
 * every cycle. Picking is then a step along the precomputed sequence.
 */
export function smoothWeightedSequence<T extends BalancedTarget>(targets: readonly T[]): T[] {
  if (targets.length === 0) return [];
  const weights = cycleWeights(targets.map((target) => target.weight));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const current = weights.map(() => 0);
  const sequence: T[] = [];
  for (let step = 0; step < total; step++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    sequence.push(targets[best]!);
  }
  return sequence;
}

/** Targets `{ url, weight }` get requests in proportion to their weight, smoothly interleaved. */
export function createWeighted<T extends BalancedTarget>(targets: readonly T[]): Balancer<T> {
  let sequence = smoothWeightedSequence(targets);
  let cursor = 0;
  return {
    reset(flags) {
      sequence = smoothWeightedSequence(targets.filter((target) => flags[target.index]));
      cursor = 0;
    },
    pick({ exclude }) {
      const length = sequence.length;
      if (length === 0) return undefined;
      const first = sequence[cursor]!;
      cursor = (cursor + 1) % length;
      if (!isExcluded(first, exclude)) return first;
      for (let step = 1; step < length; step++) {
        const next = sequence[cursor]!;
        cursor = (cursor + 1) % length;
        if (!isExcluded(next, exclude)) return next;
      }
      return first;
    },
  };
}
