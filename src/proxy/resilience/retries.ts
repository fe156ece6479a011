import type { IncomingMessage } from 'node:http';
import type { BuildContext } from '../../pipeline/types.js';
import { createRetryBudget, type RetryBudget } from './retries-budget.js';
import type { ResolvedRetries } from './retries-schema.js';

/** RFC 9110 §9.2.2 idempotent methods (TRACE aside): repeating them changes nothing more. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
/** Answers that mean "this target could not handle it now", so another one may. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([502, 503]);
/** Request bodies up to this size are kept so a retry after a connect failure can send them again. */
export const MAX_REPLAY_BYTES = 64 * 1024;

export interface RetryPolicy {
  readonly attempts: number;
  readonly budget: RetryBudget;
  /** Milliseconds to wait before retry number `retry` (1-based). */
  delay(retry: number): number;
}

const perBuild = new WeakMap<BuildContext, Map<string, RetryPolicy | undefined>>();

/** The retry policy of a service for this build (its budget is shared by all its routes). */
export function serviceRetries(build: BuildContext, service: string): RetryPolicy | undefined {
  let services = perBuild.get(build);
  if (!services) perBuild.set(build, (services = new Map()));
  if (services.has(service)) return services.get(service);
  const settings = build.config.services[service]?.retries;
  const policy = settings && settings.attempts > 0 ? createRetryPolicy(settings) : undefined;
  services.set(service, policy);
  return policy;
}

export function createRetryPolicy(
  settings: ResolvedRetries,
  random: () => number = Math.random,
): RetryPolicy {
  const { backoff } = settings;
  return {
    attempts: settings.attempts,
    budget: createRetryBudget(settings.budget),
    // Full jitter between half and the whole step keeps retries of many clients from lining up.
    delay: (retry) => {
      const step = Math.min(backoff * 2 ** (retry - 1), 1000);
      return step / 2 + (random() * step) / 2;
    },
  };
}

/**
 * Reads a small request body with a declared length so a retry can send it again; undefined
 * when it is too large or of unknown length (the request then goes out streamed, once).
 */
export async function readReplayableBody(
  req: IncomingMessage,
  maxBytes = MAX_REPLAY_BYTES,
): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (req.headers['transfer-encoding'] !== undefined || !Number.isInteger(declared) || declared > maxBytes)
    return undefined;
  if (req.readableEnded) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
