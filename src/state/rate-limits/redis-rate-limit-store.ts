import { GatewayError } from '../../errors.js';
import type { RateLimitDecision, RateLimitRule, RateLimitStore } from '../types.js';
import { GCRA_SCRIPT } from './rate-limit-script.js';
import type { RedisConnection } from '../redis/redis-client.js';
import type {} from '../redis/redis-scripts.js';

// The same float slack as the in-memory store, so both admit exactly the same requests.
const EPSILON = 1e-6;

export interface RedisRateLimitStoreOptions {
  connection: RedisConnection;
  prefix: string;
  /** What a check does when Redis cannot answer: let the request pass, or refuse it with 503. */
  onStoreError: 'allow' | 'deny';
  /** ms clock for tests of the timing math; by default the script reads Redis server TIME. */
  now?: () => number;
}

/**
 * `{…}` is a Redis Cluster hash tag: every rule of one caller lands in one slot, so the script
 * may touch them all. Each rule has its own key, like ruleKey() in the in-memory store.
 */
export function redisRuleKey(prefix: string, key: string, rule: RateLimitRule): string {
  return `${prefix}rl:{${key}}:${rule.limit}/${rule.windowMs}`;
}

/** GCRA in Redis: one EVALSHA per check, exact across every gateway sharing the Redis. */
/** The Redis store always answers later: a round trip per check. */
export interface RedisRateLimitStore extends RateLimitStore {
  consume(key: string, rules: readonly RateLimitRule[]): Promise<RateLimitDecision[]>;
}

export function createRedisRateLimitStore(options: RedisRateLimitStoreOptions): RedisRateLimitStore {
  const { connection, prefix } = options;
  const { client } = connection;
  client.defineCommand('gwGcra', { lua: GCRA_SCRIPT });
  const gcra = client.gwGcra.bind(client);
  let failing = false;

  const fail = (error: unknown, rules: readonly RateLimitRule[]): RateLimitDecision[] => {
    failing = true;
    connection.fault(
      `Rate limits could not be checked in Redis at ${connection.where} (${(error as Error).message})`,
    );
    if (options.onStoreError === 'deny') {
      throw new GatewayError(
        'GW_STORE_UNAVAILABLE',
        'Rate limits cannot be checked: the shared state store is unavailable',
        {
          headers: { 'retry-after': '1' },
          cause: error,
        },
      );
    }
    // As for a caller seen for the first time: the store cannot say more.
    return rules.map((rule) => ({
      allowed: true,
      limit: rule.limit,
      remaining: rule.limit - 1,
      resetMs: rule.windowMs / rule.limit,
      retryAfterMs: 0,
    }));
  };

  return {
    async consume(key, rules) {
      const keys = rules.map((rule) => redisRuleKey(prefix, key, rule));
      const args = [options.now ? String(options.now()) : ''];
      for (const rule of rules) args.push(String(rule.windowMs / rule.limit), String(rule.windowMs));
      let reply;
      try {
        reply = await gcra(keys.length, ...keys, ...args);
      } catch (error) {
        return fail(error, rules);
      }
      if (failing) {
        failing = false;
        connection.recovered();
      }
      const fits = rules.map((_, i) => Number(reply[2 * i + 1]) === 1);
      const aheads = rules.map((_, i) => Number(reply[2 * i + 2]));
      return decide(rules, Number(reply[0]) === 1, fits, aheads);
    },
    // The connection belongs to whoever opened it.
    async close() {},
  };
}

/**
 * The in-memory store's decisions, from whether each rule fitted (decided in the script, so a
 * rounding difference here can never turn a refusal into a pass) and how far each TAT was ahead.
 */
export function decide(
  rules: readonly RateLimitRule[],
  allowed: boolean,
  fits: readonly boolean[],
  aheads: readonly number[],
): RateLimitDecision[] {
  return rules.map((rule, i): RateLimitDecision => {
    const interval = rule.windowMs / rule.limit;
    const ahead = aheads[i]!;
    if (!allowed) {
      return fits[i]
        ? {
            allowed: true,
            limit: rule.limit,
            remaining: left(rule, ahead, interval),
            resetMs: ahead,
            retryAfterMs: 0,
          }
        : {
            allowed: false,
            limit: rule.limit,
            remaining: 0,
            resetMs: ahead,
            retryAfterMs: Math.max(0, ahead + interval - rule.windowMs),
          };
    }
    const next = ahead + interval;
    return {
      allowed: true,
      limit: rule.limit,
      remaining: left(rule, next, interval),
      resetMs: next,
      retryAfterMs: 0,
    };
  });
}

function left(rule: RateLimitRule, ahead: number, interval: number): number {
  return Math.max(0, Math.min(rule.limit, Math.floor((rule.windowMs - ahead) / interval + EPSILON)));
}
