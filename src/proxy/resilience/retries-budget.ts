import { RollingCounts } from './circuit-breaker-window.js';

export interface RetryBudgetSettings {
  ratio: number;
  minRetries: number;
  window: number;
}

/**
 * A service's retry budget (the Finagle/Linkerd idea): over a sliding window, retries may be at
 * most `ratio` of the requests, or `minRetries` when that is more, so a quiet service can still retry. When every
 * target fails, the extra load retries add is capped at that ratio instead of multiplying it.
 */
export interface RetryBudget {
  noteRequest(now: number): void;
  /** Whether a retry would fit now, without spending it. */
  allows(now: number): boolean;
  /** Spends one retry; false when the budget is used up. */
  spend(now: number): boolean;
}

export function createRetryBudget(settings: RetryBudgetSettings): RetryBudget {
  const counts = new RollingCounts(settings.window);
  const allows = (now: number) => {
    const [requests, retries] = counts.totals(now);
    return retries < Math.max(settings.minRetries, settings.ratio * requests);
  };
  return {
    noteRequest(now) {
      counts.add(now, 1, 0);
    },
    allows,
    spend(now) {
      if (!allows(now)) return false;
      counts.add(now, 0, 1);
      return true;
    },
  };
}
