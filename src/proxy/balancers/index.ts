import type { ResolvedService } from '../../config/schema.js';
import type { Balancer, BalancedTarget } from './types.js';
import { createRoundRobin } from './round-robin.js';
import { createWeighted } from './weighted.js';
import { createLeastConnections } from './least-connections.js';
import { createRandom } from './random.js';
import { createConsistentHash } from './consistent-hash.js';

export type { Balancer, BalancedTarget } from './types.js';
export { createRoundRobin, createWeighted, createLeastConnections, createRandom, createConsistentHash };

/** The service's `balance` setting as a built balancer. Weights only matter to 'weighted'. */
export function createBalancer<T extends BalancedTarget>(
  balance: ResolvedService['balance'],
  targets: readonly T[],
): Balancer<T> {
  if (typeof balance === 'object') return createConsistentHash(targets, balance.hash);
  switch (balance) {
    case 'weighted':
      return createWeighted(targets);
    case 'least-connections':
      return createLeastConnections(targets);
    case 'random':
      return createRandom(targets);
    case 'round-robin':
      return createRoundRobin(targets);
  }
}
