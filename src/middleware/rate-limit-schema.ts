import { z } from 'zod';
import { duration } from '../config/fields.js';
import type { RateLimitRule } from '../state/types.js';

const limit = z.number().int().positive().describe('Requests allowed per window (also the largest burst)');
const window = duration
  .refine((ms) => ms > 0, { message: 'expected a window longer than 0' })
  .describe("Window, e.g. '1s', '1m', '1h'");
const rule = z.strictObject({ limit, window });
const rules = z.union([rule, z.array(rule).min(1)]);

const by = z
  .union([z.enum(['identity', 'ip']), z.string().regex(/^header:[!#$%&'*+.^_`|~0-9A-Za-z-]+$/)])
  .default('identity')
  .describe(
    "Who a budget belongs to: 'identity' (verified key or token, else client IP), 'ip', or 'header:NAME'",
  );
const tiers = z
  .record(z.string(), rules)
  .default({})
  .describe("Limits by tier name: a key's tier or a token's tier claim picks them instead of the route's");

const options = { by, tiers };

const shapes = 'expected { limit, window }, a list of them, { limits: [...] }, or false';

/** Which form the user meant, so an error speaks about that form instead of "Invalid input". */
function formOf(input: unknown): number {
  if (Array.isArray(input)) return 2;
  if (input !== null && typeof input === 'object') return 'limits' in input ? 3 : 1;
  return -1;
}

export const rateLimitSchema = z
  .union(
    [
      z.literal(false),
      z.strictObject({ limit, window, ...options }),
      z.array(rule).min(1),
      z.strictObject({
        limits: z.array(rule).min(1).describe('Several limits; a request must fit all'),
        ...options,
      }),
    ],
    {
      error: (issue) => {
        if (issue.code !== 'invalid_union') return undefined;
        const first = issue.errors[formOf(issue.input)]?.[0];
        if (!first) return shapes;
        return first.path.length > 0 ? `${first.path.join('.')}: ${first.message}` : first.message;
      },
    },
  )
  .transform((value) => (value === false ? false : normalize(value)))
  .describe(
    "Rate limit: { limit, window }, a list of them, { limits: [...], by, tiers }, or false (a route's value overrides the top-level default)",
  );

export interface ResolvedRateLimit {
  rules: RateLimitRule[];
  by: string;
  tiers: Record<string, RateLimitRule[]>;
}

type RuleInput = { limit: number; window: number };

function normalize(
  value:
    | (RuleInput & { by: string; tiers: Record<string, RuleInput | RuleInput[]> })
    | RuleInput[]
    | { limits: RuleInput[]; by: string; tiers: Record<string, RuleInput | RuleInput[]> },
): ResolvedRateLimit {
  if (Array.isArray(value)) return { rules: value.map(toRule), by: 'identity', tiers: {} };
  const tierRules = Object.fromEntries(
    Object.entries(value.tiers).map(([name, r]) => [name, (Array.isArray(r) ? r : [r]).map(toRule)]),
  );
  const base = 'limits' in value ? value.limits : [value];
  return { rules: base.map(toRule), by: value.by, tiers: tierRules };
}

function toRule(input: RuleInput): RateLimitRule {
  return { limit: input.limit, windowMs: input.window };
}

/** `10;w=60` per rule (draft-ietf-httpapi-ratelimit-headers), windows in seconds. */
export function policyHeader(rules: readonly RateLimitRule[]): string {
  return rules.map((r) => `${r.limit};w=${Math.max(1, Math.ceil(r.windowMs / 1000))}`).join(', ');
}

/** "10 per 1m" for people (events, dashboard). */
export function describeRule(rule: RateLimitRule): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  const unit = units.find(([ms]) => rule.windowMs % ms === 0);
  return `${rule.limit} per ${unit ? `${rule.windowMs / unit[0]}${unit[1]}` : `${rule.windowMs}ms`}`;
}
