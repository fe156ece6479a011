import type { Result } from 'ioredis';

/**
 * The Lua scripts gw defines on its Redis clients (`client.defineCommand`), typed as the methods
 * ioredis adds for them (https://github.com/redis/ioredis#lua-scripting): without this, calling
 * one needs a cast.
 */
declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** GCRA over every rule's key at once (src/state/rate-limits/redis-rate-limit-store.ts). */
    gwGcra(numberOfKeys: number, ...keysAndArgs: string[]): Result<Array<number | string>, Context>;
    /** The signing keys' hash and channel, a kid and its entry (src/state/signing-keys/). */
    gwEnsureSigningKey(hash: string, channel: string, kid: string, entry: string): Result<string[], Context>;
    /** Keys, revoked and channel names, the key's id and the time: the key's JSON and revokedAt. */
    gwRevokeKey(
      keys: string,
      revoked: string,
      channel: string,
      id: string,
      at: string,
    ): Result<[string, string] | null, Context>;
  }
}
