import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../errors.js';
import type { PolicyFactory } from '../pipeline/types.js';
import { answeredBy, markOutcome } from '../pipeline/hooks.js';

/**
 * Makes a route slow or flaky on purpose (issue 4), so a developer sees how their frontend copes.
 * The delay comes first, then the coin toss; a request that survives both goes on as usual.
 */
export const createFaultsPolicy: PolicyFactory = (route) => {
  const faults = route.config.faults;
  if (!faults) return undefined;
  const { errorRate, errorStatus } = faults;
  const [low, high] = Array.isArray(faults.latency)
    ? faults.latency
    : [faults.latency ?? 0, faults.latency ?? 0];
  if (errorRate === 0 && high === 0) return undefined;
  return async function injectFaults(ctx, next) {
    const delay = low === high ? low : Math.round(low + Math.random() * (high - low));
    if (delay > 0) {
      markOutcome(ctx, 'fault', `+${delay}ms`);
      await sleep(delay);
    }
    if (errorRate > 0 && Math.random() < errorRate) {
      markOutcome(ctx, 'fault', delay > 0 ? `+${delay}ms, ${errorStatus}` : String(errorStatus));
      answeredBy(ctx, 'faults', `injected ${errorStatus} (errorRate ${errorRate})`);
      throw new GatewayError(
        'GW_FAULT_INJECTED',
        `Injected fault on route ${route.id} (errorRate ${errorRate})`,
        { status: errorStatus },
      );
    }
    await next();
  };
};
