import { z } from 'zod';
import { GatewayError } from '../../errors.js';
import type { EventStream } from '../../events/event-stream.js';
import { generateSigningKey } from '../../identity/generate-signing-key.js';
import { throttledRefresh } from '../../identity/throttled-refresh.js';
import type { SigningAlgorithm, SigningKeyEntry, SigningKeySet, SigningKeyStore } from '../types.js';
import type { RedisConnection } from '../redis/redis-client.js';
import type {} from '../redis/redis-scripts.js';

/**
 * Token signing keys in one Redis hash, `<prefix>signing-keys`: field `current` names the signing
 * kid, field `key:<kid>` holds each entry as JSON. Adding a key and pointing `current` at it is a
 * single HSET, so no read-modify-write can lose a rotation. Like the key records, these are
 * permanent (no expiry): losing them would invalidate every token. Changes are published on
 * `signing-keys:changed`, so a token minted through any instance verifies on all.
 */

const RESYNC_MS = 30_000;

// The first HS256 secret: whoever runs this first wins, everybody gets the winner's set.
const ENSURE_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], 'current') == 0 then
  redis.call('HSET', KEYS[1], 'key:' .. ARGV[1], ARGV[2], 'current', ARGV[1])
  redis.call('PUBLISH', KEYS[2], ARGV[1])
end
return redis.call('HGETALL', KEYS[1])
`;

const jwk = z.record(z.string(), z.string());
const entrySchema = z.object({
  kid: z.string().min(1),
  alg: z.enum(['HS256', 'ES256', 'EdDSA']),
  createdAt: z.string(),
  secret: z.string().optional(),
  privateJwk: jwk.optional(),
  publicJwk: jwk.optional(),
});

export interface RedisSigningKeyStoreOptions {
  connection: RedisConnection;
  prefix: string;
  watch?: boolean;
  events?: EventStream | undefined;
}

export async function createRedisSigningKeyStore(
  options: RedisSigningKeyStoreOptions,
): Promise<SigningKeyStore> {
  const { connection, prefix } = options;
  const { client } = connection;
  const hash = `${prefix}signing-keys`;
  const channel = `${prefix}signing-keys:changed`;
  client.defineCommand('gwEnsureSigningKey', { numberOfKeys: 2, lua: ENSURE_SCRIPT });
  const ensureScript = client.gwEnsureSigningKey.bind(client);

  const toSet = (fields: Record<string, string>): SigningKeySet | undefined => {
    const current = fields.current;
    if (current === undefined) return undefined;
    const keys: SigningKeyEntry[] = [];
    for (const [field, json] of Object.entries(fields)) {
      if (!field.startsWith('key:')) continue;
      const parsed = entrySchema.safeParse(JSON.parse(json));
      if (!parsed.success)
        throw new GatewayError(
          'GW_STATE_CORRUPT',
          `The signing key ${field} in Redis (${hash}) cannot be read`,
        );
      keys.push(parsed.data);
    }
    if (!keys.some((key) => key.kid === current)) {
      throw new GatewayError(
        'GW_STATE_CORRUPT',
        `The signing keys in Redis (${hash}) name a current key that does not exist`,
      );
    }
    keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return { current, keys };
  };

  let set = toSet(await client.hgetall(hash));

  const refresh = async () => {
    try {
      // A new object only when something changed: verifiers re-check tokens on a new set.
      const fields = await client.hgetall(hash);
      const next = toSet(fields);
      if (JSON.stringify(next) !== JSON.stringify(set)) set = next ?? set;
    } catch (error) {
      if (connection.ready())
        options.events?.emit({
          type: 'store-warning',
          at: Date.now(),
          message: `Signing keys could not be reloaded from Redis: ${(error as Error).message}`,
        });
    }
  };

  let resync: NodeJS.Timeout | undefined;
  if (options.watch) {
    await connection.subscribe(channel, () => void refresh());
    connection.onReconnect(() => void refresh());
    resync = setInterval(() => void refresh(), RESYNC_MS);
    resync.unref();
  }

  return {
    current: () => set,
    refresh: throttledRefresh(refresh),
    async ensure() {
      if (set) return set;
      const entry = await generateSigningKey('HS256');
      const flat = await ensureScript(hash, channel, entry.kid, JSON.stringify(entry));
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
      set = toSet(fields)!;
      return set;
    },
    async rotate(alg: SigningAlgorithm) {
      const entry = await generateSigningKey(alg);
      const replies = await client
        .multi()
        .hset(hash, `key:${entry.kid}`, JSON.stringify(entry), 'current', entry.kid)
        .publish(channel, entry.kid)
        .exec();
      const failed = replies?.find(([error]) => error)?.[0];
      if (!replies || failed) throw failed ?? new Error('the signing key could not be written to Redis');
      await refresh();
      return entry;
    },
    async close() {
      clearInterval(resync);
    },
  };
}
