import type { RateLimitDecision, RateLimitRule, RateLimitStore } from '../types.js';

/**
 * GCRA (the generic cell rate algorithm, as in ATM networks and redis-cell): per key one number,
 * the theoretical arrival time (TAT). A rule of `limit` per `window` lets a request in when the
 * TAT after it is at most one window ahead of now; each request pushes the TAT by window/limit.
 * That is a token bucket of size `limit` refilled smoothly, so there is no window edge at which
 * two bursts fit back to back, and memory is O(1) per key: an entry whose TAT has passed holds
 * a whole budget and is simply dropped.
 */

// Float slack (1 µs) so that, e.g., 3 per 1000 ms (333.33… ms each) admits the third request.
// Times are kept relative to the store's creation: at epoch magnitude (1.7e12 ms) a double's
// step is ~2e-4 ms, and adding window/limit a few times drifts past any fixed slack (7 per
// second would pass 6); near zero the drift stays far below it.
const EPSILON = 1e-3;

export interface MemoryRateLimitStoreOptions {
  /** ms clock; tests pass a fake one for the timing math. */
  now?: () => number;
  /** Full sweep of expired entries (0 turns the timer off; expiry then happens incrementally). */
  sweepIntervalMs?: number;
  /** Hard cap on entries: beyond it, the least recently used entry goes (its caller starts whole). */
  maxEntries?: number;
}

export interface MemoryRateLimitStore extends RateLimitStore {
  /** Entries held now (for tests and metrics). */
  readonly size: number;
  /** Drops every entry whose budget is whole again; returns how many went. */
  sweep(): number;
}

export function ruleKey(key: string, rule: RateLimitRule): string {
  return `${key}\u0000${rule.limit}/${rule.windowMs}`;
}

export function createMemoryRateLimitStore(options: MemoryRateLimitStoreOptions = {}): MemoryRateLimitStore {
  const clock = options.now ?? Date.now;
  const origin = clock();
  const now = () => clock() - origin;
  const maxEntries = options.maxEntries ?? 1_000_000;
  // Insertion order is kept as "least recently updated first": updates delete and re-insert.
  const tats = new Map<string, number>();

  const sweep = () => {
    const t = now();
    let dropped = 0;
    for (const [key, tat] of tats) {
      if (tat <= t) {
        tats.delete(key);
        dropped++;
      }
    }
    return dropped;
  };

  // O(1) incremental expiry: the oldest entries are the likeliest to be whole again.
  const expireOldest = (t: number) => {
    for (let i = 0; i < 2; i++) {
      const first = tats.entries().next();
      if (first.done || first.value[1] > t) return;
      tats.delete(first.value[0]);
    }
  };

  const timer =
    options.sweepIntervalMs === 0 ? undefined : setInterval(sweep, options.sweepIntervalMs ?? 10_000);
  timer?.unref();

  return {
    get size() {
      return tats.size;
    },
    sweep,
    // Synchronous from read to write: no other check interleaves, so limits are exact; the
    // answer comes as a promise like a remote store's, so callers have one path.
    consume(key, rules) {
      const t = now();
      expireOldest(t);
      // One rule (most routes): no arrays between reading the TAT and the decision.
      if (rules.length === 1) return Promise.resolve([decideOne(keyOf(key, rules[0]!), rules[0]!, t)]);
      const keys = rules.map((rule) => keyOf(key, rule));
      const before = keys.map((k) => Math.max(tats.get(k) ?? t, t));
      const fits = rules.map(
        (rule, i) => before[i]! + rule.windowMs / rule.limit - t <= rule.windowMs + EPSILON,
      );
      const allowed = fits.every(Boolean);
      const decisions = rules.map((rule, i): RateLimitDecision => {
        const tat = before[i]!;
        if (!allowed) return fits[i] ? standing(rule, tat, t) : refused(rule, tat, t);
        return admit(keys[i]!, rule, tat, t);
      });
      return Promise.resolve(decisions);
    },
    async close() {
      if (timer) clearInterval(timer);
      tats.clear();
    },
  };

  function evict() {
    const first = tats.keys().next();
    if (!first.done) tats.delete(first.value);
  }

  /** One rule's check: refused, or admitted with its TAT pushed by one interval. */
  function decideOne(k: string, rule: RateLimitRule, t: number): RateLimitDecision {
    const tat = Math.max(tats.get(k) ?? t, t);
    return tat + rule.windowMs / rule.limit - t <= rule.windowMs + EPSILON
      ? admit(k, rule, tat, t)
      : refused(rule, tat, t);
  }

  /** Spends one request of the rule: the TAT moves on and the entry becomes the newest. */
  function admit(k: string, rule: RateLimitRule, tat: number, t: number): RateLimitDecision {
    const interval = rule.windowMs / rule.limit;
    const next = tat + interval;
    tats.delete(k);
    if (tats.size >= maxEntries) evict();
    tats.set(k, next);
    return {
      allowed: true,
      limit: rule.limit,
      remaining: left(rule, next - t, interval),
      resetMs: next - t,
      retryAfterMs: 0,
    };
  }
}

/**
 * The counter's key of one caller under one rule (ruleKey), kept per rule while the same caller
 * keys come back: building and hashing a new string on every request cost more than the GCRA
 * itself. A caller key the middleware hands over again is the same string, its hash computed
 * once. Bounded (many callers start the memo over; long keys are not kept): it only saves work.
 */
const ruleKeys = new WeakMap<RateLimitRule, Map<string, string>>();
const RULE_KEYS_KEPT = 10_000;
const RULE_KEY_KEPT_CHARS = 512;
function keyOf(key: string, rule: RateLimitRule): string {
  let kept = ruleKeys.get(rule);
  if (kept === undefined) ruleKeys.set(rule, (kept = new Map()));
  let full = kept.get(key);
  if (full === undefined) {
    full = ruleKey(key, rule);
    if (key.length > RULE_KEY_KEPT_CHARS) return full;
    if (kept.size >= RULE_KEYS_KEPT) kept.clear();
    kept.set(key, full);
  }
  return full;
}

/** A rule that would have passed, when another rule of the same check refused (nothing spent). */
function standing(rule: RateLimitRule, tat: number, t: number): RateLimitDecision {
  return {
    allowed: true,
    limit: rule.limit,
    remaining: left(rule, tat - t, rule.windowMs / rule.limit),
    resetMs: tat - t,
    retryAfterMs: 0,
  };
}

function refused(rule: RateLimitRule, tat: number, t: number): RateLimitDecision {
  const interval = rule.windowMs / rule.limit;
  return {
    allowed: false,
    limit: rule.limit,
    remaining: 0,
    resetMs: tat - t,
    retryAfterMs: Math.max(0, tat + interval - rule.windowMs - t),
  };
}

/** Requests that would still pass now, given how far ahead the TAT is. */
function left(rule: RateLimitRule, ahead: number, interval: number): number {
  return Math.max(0, Math.min(rule.limit, Math.floor((rule.windowMs - ahead) / interval + EPSILON)));
}
