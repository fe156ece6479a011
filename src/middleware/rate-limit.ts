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
}

function compile(rules: readonly RateLimitRule[]): CompiledRules {
  return { rules, policy: policyHeader(rules), labels: rules.map(describeRule) };
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

  const callerOf = (ctx: GatewayContext): string => {
    if (header !== undefined) {
      const value = ctx.req.headers[header];
      if (typeof value === 'string' && value.length > 0) return `h:${value}`;
    } else if (!byIp && ctx.identity) return `id:${ctx.identity.id}`;
    return `ip:${ctx.clientIp}`;
  };

  const decide = (
    ctx: GatewayContext,
    next: Next,
    active: CompiledRules,
    caller: string,
    decisions: readonly RateLimitDecision[],
  ): Promise<void> => {
    const i = tightest(decisions);
    const decision = decisions[i]!;
    const headers = ctx.responseHeaders;
    headers['ratelimit-limit'] = String(decision.limit);
    headers['ratelimit-remaining'] = String(decision.remaining);
    headers['ratelimit-reset'] = String(Math.ceil(decision.resetMs / 1000));
    headers['ratelimit-policy'] = active.policy;
    const callerName = ctx.identity?.name ?? caller.slice(caller.indexOf(':') + 1);
    markOutcome(ctx, 'limitRemaining', decision.remaining);
    if (events.wants('limit-checked')) {
      events.emit({
        type: 'limit-checked',
        at: Date.now(),
        routeId: route.id,
        caller: callerName,
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
        `${callerName} used ${decision.limit}/${decision.limit} of ${active.labels[i]} on route ${route.id}, resets in ${Math.ceil(decision.resetMs / 1000)} s`,
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

  return async function rateLimit(ctx, next) {
    const tier = ctx.identity?.tier;
    const active = (tier !== undefined && tiers.get(tier)) || base;
    const caller = callerOf(ctx);
    return decide(ctx, next, active, caller, await store.consume(prefix + caller, active.rules));
  };
};
