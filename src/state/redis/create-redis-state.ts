import type { EventStream } from '../../events/event-stream.js';
import type { StateConfig } from '../state-schema.js';
import type { GatewayState, KeyStore, SigningKeyStore, StateMap } from '../types.js';
import { createRedisCacheStore } from '../cache/redis-cache-store.js';
import { connectRedis, type RedisConnection } from './redis-client.js';
import { createRedisKeyStore } from '../keys/redis-key-store.js';
import { createRedisRateLimitStore } from '../rate-limits/redis-rate-limit-store.js';
import { createRedisSigningKeyStore } from '../signing-keys/redis-signing-key-store.js';

export interface RedisStateOptions {
  state: StateConfig;
  stateDir: string;
  events?: EventStream | undefined;
  /** Follow changes other instances make (the gateway); the CLI writes once and leaves. */
  watch: boolean;
}

/** Limits, keys, signing keys and the response cache on one Redis (two connections: commands, and pub/sub). */
export async function createRedisState(options: RedisStateOptions): Promise<GatewayState> {
  const { state, events, watch } = options;
  const whileDown =
    state.onStoreError === 'allow' ? 'requests pass without limits' : 'limited routes answer 503';
  const connection = await connectRedis({ url: state.url, events, subscribe: watch, whileDown });
  try {
    const limits = createRedisRateLimitStore({
      connection,
      prefix: state.prefix,
      onStoreError: state.onStoreError,
    });
    const keys = await createRedisKeyStore({ connection, prefix: state.prefix, watch, events });
    const signingKeys = await createRedisSigningKeyStore({ connection, prefix: state.prefix, watch, events });
    const maps = new Map<string, StateMap<unknown>>();
    const shared = state.responseCache === 'shared';
    return {
      ...(shared
        ? { responseCache: createRedisCacheStore({ client: connection.client, prefix: state.prefix }) }
        : {}),
      limits,
      keys,
      signingKeys,
      maps,
      stateDir: options.stateDir,
      store: { kind: 'redis', where: connection.where, ready: () => connection.ready() },
      async close() {
        await Promise.all([limits.close(), keys.close(), signingKeys.close()]);
        maps.clear();
        await connection.close();
      },
    };
  } catch (error) {
    await connection.close();
    throw error;
  }
}

/** One store on its own connection, closed with the store (what a CLI command needs). */
async function withOwnConnection<T extends { close(): Promise<void> }>(
  state: StateConfig,
  open: (connection: RedisConnection) => Promise<T>,
): Promise<T> {
  const connection = await connectRedis({ url: state.url });
  try {
    const store = await open(connection);
    const close = store.close.bind(store);
    return Object.assign(store, {
      async close() {
        await close();
        await connection.close();
      },
    });
  } catch (error) {
    await connection.close();
    throw error;
  }
}

export function openRedisKeyStore(state: StateConfig): Promise<KeyStore> {
  return withOwnConnection(state, (connection) => createRedisKeyStore({ connection, prefix: state.prefix }));
}

export function openRedisSigningKeyStore(state: StateConfig): Promise<SigningKeyStore> {
  return withOwnConnection(state, (connection) =>
    createRedisSigningKeyStore({ connection, prefix: state.prefix }),
  );
}
