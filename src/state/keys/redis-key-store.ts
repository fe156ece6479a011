import { GatewayError } from '../../errors.js';
import type { EventStream } from '../../events/event-stream.js';
import {
  lookupApiKey,
  mintApiKey,
  storedKeySchema,
  type PresentedKeyHashes,
} from '../../identity/api-key-format.js';
import { throttledRefresh } from '../../identity/throttled-refresh.js';
import type { ApiKeyLookup, ApiKeyRecord, KeyStore, NewApiKey } from '../types.js';
import type { RedisConnection } from '../redis/redis-client.js';
import type {} from '../redis/redis-scripts.js';

/**
 * API keys in Redis, in three hashes under the prefix: `keys` (id → record JSON, hash of the key
 * only), `keys:revoked` (id → when) and `keys:usage` (id → last used). They are records, not
 * caches, so they carry no expiry (an expired key must still be listed and refused as expired).
 * Every change is published on `keys:changed`; each gateway reloads its local view then, so
 * `find` never waits on Redis and a revoke is refused everywhere within a second.
 */

const USAGE_FLUSH_MS = 5_000;
// Pub/sub drops messages sent while a subscriber is away: a slow full reload covers that.
const RESYNC_MS = 30_000;

// Revoking twice keeps the first time; an unknown id writes nothing.
const REVOKE_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return false end
redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
redis.call('PUBLISH', KEYS[3], ARGV[1])
return { redis.call('HGET', KEYS[1], ARGV[1]), redis.call('HGET', KEYS[2], ARGV[1]) }
`;

export interface RedisKeyStoreOptions {
  connection: RedisConnection;
  prefix: string;
  /** Follow changes made elsewhere (the running gateway; the CLI does not). */
  watch?: boolean;
  events?: EventStream | undefined;
  now?: () => number;
}

interface View {
  byHash: Map<string, ApiKeyRecord>;
  /** Presented keys already hashed, for this view only: a reload starts it empty. */
  hashes: PresentedKeyHashes;
}

export async function createRedisKeyStore(options: RedisKeyStoreOptions): Promise<KeyStore> {
  const { connection, prefix } = options;
  const { client } = connection;
  const now = options.now ?? Date.now;
  const names = {
    keys: `${prefix}keys`,
    revoked: `${prefix}keys:revoked`,
    usage: `${prefix}keys:usage`,
    channel: `${prefix}keys:changed`,
  };
  client.defineCommand('gwRevokeKey', { numberOfKeys: 3, lua: REVOKE_SCRIPT });
  const revokeScript = client.gwRevokeKey.bind(client);

  const parse = (id: string, json: string, revokedAt: string | undefined): ApiKeyRecord => {
    const parsed = storedKeySchema.safeParse(JSON.parse(json));
    if (!parsed.success) {
      throw new GatewayError('GW_STATE_CORRUPT', `The key ${id} in Redis (${names.keys}) cannot be read`, {
        cause: parsed.error,
      });
    }
    return revokedAt === undefined ? parsed.data : { ...parsed.data, revokedAt };
  };

  const readRecords = async (): Promise<ApiKeyRecord[]> => {
    // One MULTI: the records and revocations of the same moment.
    const replies = await client.multi().hgetall(names.keys).hgetall(names.revoked).exec();
    const [keys, revoked] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value as Record<string, string>;
    });
    return Object.entries(keys ?? {})
      .map(([id, json]) => parse(id, json, revoked?.[id]))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  };

  const index = (records: ApiKeyRecord[]): View => ({
    byHash: new Map(records.map((r) => [r.hash, r])),
    hashes: new Map(),
  });
  let view = index(await readRecords());
  let refreshing: Promise<void> | undefined;
  let again = false;

  // Serial: a burst of changes costs at most two reloads, and the last one sees them all.
  const refresh = (): Promise<void> => {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        again = false;
        try {
          view = index(await readRecords());
        } catch (error) {
          // Keep serving the last good view: a Redis hiccup must not lock every caller out.
          if (connection.ready())
            options.events?.emit({
              type: 'store-warning',
              at: Date.now(),
              message: `API keys could not be reloaded from Redis: ${(error as Error).message}`,
            });
        }
      } while (again);
      refreshing = undefined;
    })();
    return refreshing;
  };

  const refreshSoon = throttledRefresh(refresh);
  let resync: NodeJS.Timeout | undefined;
  if (options.watch) {
    await connection.subscribe(names.channel, () => void refresh());
    connection.onReconnect(() => void refresh());
    resync = setInterval(() => void refresh(), RESYNC_MS);
    resync.unref();
  }

  const used = new Map<string, string>();
  let flushTimer: NodeJS.Timeout | undefined;
  const flushUsage = async () => {
    flushTimer = undefined;
    if (used.size === 0) return;
    const batch = Object.fromEntries(used);
    used.clear();
    // Best effort: "last used" is a hint for people, not worth an error.
    await client.hset(names.usage, batch).catch(() => undefined);
  };

  return {
    async create(input: NewApiKey) {
      const { key, record } = mintApiKey(input, now());
      // MULTI: the record and its announcement go together or not at all.
      const replies = await client
        .multi()
        .hset(names.keys, record.id, JSON.stringify(record))
        .publish(names.channel, record.id)
        .exec();
      const failed = replies?.find(([error]) => error)?.[0];
      if (!replies || failed) throw failed ?? new Error('the key could not be written to Redis');
      view.byHash.set(record.hash, record);
      return { key, record };
    },

    async list() {
      const [records, usage] = await Promise.all([readRecords(), client.hgetall(names.usage)]);
      return records.map((record) =>
        usage[record.id] === undefined ? record : { ...record, lastUsedAt: usage[record.id]! },
      );
    },

    async revoke(id) {
      const reply = await revokeScript(
        names.keys,
        names.revoked,
        names.channel,
        id,
        new Date(now()).toISOString(),
      );
      if (!reply) throw new GatewayError('GW_KEY_NOT_FOUND', `No key has the id ${id}`);
      const record = parse(id, reply[0], reply[1]);
      view.byHash.set(record.hash, record);
      return record;
    },

    find(key): ApiKeyLookup {
      return lookupApiKey(view.byHash, key, now(), view.hashes);
    },

    refresh: refreshSoon,

    touch(id) {
      used.set(id, new Date(now()).toISOString());
      if (flushTimer === undefined) {
        flushTimer = setTimeout(() => void flushUsage(), USAGE_FLUSH_MS);
        flushTimer.unref();
      }
    },

    async close() {
      clearInterval(resync);
      clearTimeout(flushTimer);
      await flushUsage();
    },
  };
}
