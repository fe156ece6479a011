import { z } from 'zod';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const redisUrl = z.string().refine(
  (value) => {
    try {
      const { protocol } = new URL(value);
      return protocol === 'redis:' || protocol === 'rediss:';
    } catch {
      return false;
    }
  },
  { message: "expected a Redis URL like 'redis://127.0.0.1:6379'" },
);

/**
 * Where state shared between gateway instances lives (issue 6). `memory` keeps limits in the
 * process and keys in the state folder; `redis` shares limits, keys and signing keys with every
 * gateway and CLI that names the same Redis and prefix.
 */
export const stateSchema = z
  .strictObject({
    store: z
      .enum(['memory', 'redis'])
      .default('memory')
      .describe(
        "'memory' (one process, keys in .gw/) or 'redis' (shared by every instance on the same Redis)",
      ),
    url: redisUrl
      .default(DEFAULT_REDIS_URL)
      .describe('Redis URL (redis:// or rediss://), used when store is redis'),
    prefix: z
      .string()
      .default('gw:')
      .describe('Prefix of every Redis key and channel, so several gateways can share one Redis'),
    onStoreError: z
      .enum(['allow', 'deny'])
      .default('allow')
      .describe(
        "When Redis cannot be reached while serving: 'allow' lets requests past limits, 'deny' answers 503",
      ),
    responseCache: z
      .enum(['shared', 'local'])
      .default('shared')
      .describe(
        "With store 'redis': 'shared' keeps cached responses in Redis for every instance, 'local' in each process",
      ),
  })
  .describe('Shared state: in-memory (default) or Redis');

export type StateConfig = z.output<typeof stateSchema>;

export const defaultStateConfig: StateConfig = stateSchema.parse({});
