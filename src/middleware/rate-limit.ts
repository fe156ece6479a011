import { GatewayError } from '../errors.js';
import type { GatewayContext, Next, PolicyFactory } from '../pipeline/types.js';
import type { RateLimitDecision, RateLimitRule } from '../state/types.js';
import { describeRule, policyHeader, type ResolvedRateLimit } from './rate-limit-schema.js';
import { answeredBy, markOutcome } from '../pipeline/hooks.js';

export { rateLimitSchema } from './rate-limit-schema.js';

interface CompiledRules {
  rules: readonly RateLimitRule[];
  policy: string;
  labels: string[];
  /** Each rule's limit as the RateLimit-Limit header says it, made once. */
  limits: string[];
}

function compile(rules: readonly RateLimitRule[]): CompiledRules {
  return {
    rules,
    policy: policyHeader(rules),
    labels: rules.map(describeRule),
    limits: rules.map((rule) => String(rule.limit)),
  };
}

/** The decision a client is told about: a refusing rule, else the one with the least left. */
function tightest(decisions: readonly RateLimitDecision[]): number {
  let pick = 0;
  for (let i = 1; i < decisions.length; i++) {
    const a = decisions[i]!;
    const b = decisions[pick]!;
    if (a.allowed !== b.allowed) {
      if (!a.allowed) pick = i;
    } else if (!a.allowed ? a.retryAfterMs > b.retryAfterMs : a.remaining < b.remaining) pick = i;
  }
  return pick;
}

/**
 * Limits each caller per route (GCRA in the state store). Keyed by the verified identity, else
 * the client IP — never by a header the client picks, unless the config says `by: 'header:NAME'`.
 */
export const createRateLimitPolicy: PolicyFactory = (route, build) => {
  const configured: ResolvedRateLimit | false | undefined = route.config.rateLimit ?? build.config.rateLimit;
  if (!configured) return undefined;
  const base = compile(configured.rules);
  const tiers = new Map(Object.entries(configured.tiers).map(([name, rules]) => [name, compile(rules)]));
  const header = configured.by.startsWith('header:')
    ? configured.by.slice('header:'.length).toLowerCase()
    : undefined;
  const byIp = configured.by === 'ip';
  const store = build.state.limits;
  const { events } = build;
  // The route id keys the counters, so a reload that keeps the route and the rule keeps its budget.
  const prefix = `${route.id}\u0000`;

  // Caller keys (route prefix + caller) kept per caller: the store then gets the same string for
  // the same caller, its hash computed once, instead of two new strings on every request.
  const byIdentity = callerKeys(`${prefix}id:`);
  const byAddress = callerKeys(`${prefix}ip:`);
  const byHeader = callerKeys(`${prefix}h:`);
  const keyOf = (ctx: GatewayContext): string => {
    if (header !== undefined) {
      const value = ctx.req.headers[header];
      if (typeof value === 'string' && value.length > 0) return byHeader(value);
    } else if (!byIp && ctx.identity) return byIdentity(ctx.identity.id);
    return byAddress(ctx.clientIp);
  };
  /** The caller's name for people: the identity's, else the IP or header value of its key. */
  const callerNameOf = (ctx: GatewayContext, key: string): string =>
    ctx.identity?.name ?? key.slice(key.indexOf(':', prefix.length) + 1);

  const decide = (
    ctx: GatewayContext,
    next: Next,
    active: CompiledRules,
    key: string,
    decisions: readonly RateLimitDecision[],
  ): Promise<void> => {
    const i = tightest(decisions);
    const decision = decisions[i]!;
    const headers = ctx.responseHeaders;
    headers['ratelimit-limit'] = active.limits[i] ?? String(decision.limit);
    headers['ratelimit-remaining'] = String(decision.remaining);
    headers['ratelimit-reset'] = String(Math.ceil(decision.resetMs / 1000));
    headers['ratelimit-policy'] = active.policy;
    markOutcome(ctx, 'limitRemaining', decision.remaining);
    if (events.wants('limit-checked')) {
      events.emit({
        type: 'limit-checked',
        at: Date.now(),
        routeId: route.id,
        caller: callerNameOf(ctx, key),
        policy: active.labels[i]!,
        limit: decision.limit,
        remaining: decision.remaining,
        resetMs: decision.resetMs,
        allowed: decision.allowed,
      });
    }
    if (!decision.allowed) {
      const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      markOutcome(ctx, 'limited', true);
      answeredBy(
        ctx,
        'rate-limit',
        `${callerNameOf(ctx, key)} used ${decision.limit}/${decision.limit} of ${active.labels[i]} on route ${route.id}, resets in ${Math.ceil(decision.resetMs / 1000)} s`,
      );
      throw new GatewayError(
        'GW_RATE_LIMITED',
        `Rate limit ${active.labels[i]} reached; retry in ${retryAfter} s`,
        {
          headers: { 'retry-after': String(retryAfter) },
          extensions: { limit: decision.limit, retryAfter },
        },
      );
    }
    return next();
  };

  // Not async: the store's promise is the only one this policy adds to the request.
  return function rateLimit(ctx, next) {
    const tier = ctx.identity?.tier;
    const active = (tier !== undefined && tiers.get(tier)) || base;
    const key = keyOf(ctx);
    return store.consume(key, active.rules).then((decisions) => decide(ctx, next, active, key, decisions));
  };
};

/**
 * The memo's bounds: callers beyond this many start it over, and a longer caller (a `by: header`
 * value) is not kept. It only saves work; keys come out the same either way.
 */
const CALLER_KEYS_KEPT = 10_000;
const CALLER_KEPT_CHARS = 256;

/** `prefix + caller`, the same string each time a caller comes back. */
function callerKeys(prefix: string): (caller: string) => string {
  const kept = new Map<string, string>();
  return (caller) => {
    let key = kept.get(caller);
    if (key === undefined) {
      key = prefix + caller;
      if (caller.length > CALLER_KEPT_CHARS) return key;
      if (kept.size >= CALLER_KEYS_KEPT) kept.clear();
      kept.set(caller, key);
    }
    return key;
  };
}
