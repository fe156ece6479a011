import type { ResolvedConfig } from '../config/schema.js';
import type { EventStream } from '../events/event-stream.js';
import { createFileKeyStore } from './keys/file-key-store.js';
import { createFileSigningKeyStore } from './signing-keys/file-signing-key-store.js';
import { ensureStateDir } from '../identity/state-files.js';
import { createMemoryRateLimitStore } from './rate-limits/memory-rate-limit-store.js';
import { resolveStateDir, warnIfSharedStateDir } from './state-dir.js';
import type { StateConfig } from './state-schema.js';
import type { GatewayState, KeyStore, SigningKeyStore, StateMap } from './types.js';

export interface CreateStateOptions {
  /** The config (its `state` block will choose the store once there is more than one). */
  config?: ResolvedConfig;
  /** Folder of the config file; `.gw/` beside it is the default state folder. */
  configDir?: string;
  /** --state-dir; else GW_STATE_DIR; else `<configDir>/.gw`. */
  stateDir?: string | undefined;
  events?: EventStream;
  /**
   * Follow changes other processes make to keys and signing keys (default true: the running
   * gateway). The CLI passes false: it reads and writes once and exits.
   */
  watch?: boolean;
}

/**
 * The one place that chooses the state implementation. Today: in-memory limits, and keys and
 * signing keys in the state folder. Fails with GW_STATE_CORRUPT (naming the file) when a state
 * file cannot be read, before anything listens.
 */
export async function createGatewayState(options: CreateStateOptions = {}): Promise<GatewayState> {
  const stateDir = resolveStateDir({ stateDir: options.stateDir, configDir: options.configDir });
  const watch = options.watch ?? true;
  const state = options.config?.state;
  if (state?.store === 'redis') {
    // Loaded only when named, so the default setup never loads the Redis client.
    const { createRedisState } = await import('./redis/create-redis-state.js');
    return createRedisState({ state, stateDir, events: options.events, watch });
  }
  await warnIfSharedStateDir(stateDir, options.events);
  // The gateway creates the folder up front so it can watch it for keys the CLI adds later.
  if (watch) await ensureStateDir(stateDir);
  const keys = await openKeyStore({ stateDir, watch, events: options.events });
  const signingKeys = await openSigningKeyStore({ stateDir, watch, events: options.events }).catch(
    async (error: unknown) => {
      await keys.close();
      throw error;
    },
  );
  const limits = createMemoryRateLimitStore();
  const maps = new Map<string, StateMap<unknown>>();
  return {
    limits,
    keys,
    signingKeys,
    maps,
    stateDir,
    async close() {
      await Promise.all([limits.close(), keys.close(), signingKeys.close()]);
      maps.clear();
    },
  };
}

export interface OpenStoreOptions {
  stateDir: string;
  watch?: boolean;
  events?: EventStream;
  /** The config's `state` block: with `store: 'redis'` the store lives there, not in the folder. */
  state?: StateConfig | undefined;
}

/** The key store alone (the CLI opens only what a command needs, so one bad file blocks nothing else). */
export async function openKeyStore(options: OpenStoreOptions): Promise<KeyStore> {
  if (options.state?.store === 'redis')
    return (await import('./redis/create-redis-state.js')).openRedisKeyStore(options.state);
  return createFileKeyStore(options);
}

export async function openSigningKeyStore(options: OpenStoreOptions): Promise<SigningKeyStore> {
  if (options.state?.store === 'redis')
    return (await import('./redis/create-redis-state.js')).openRedisSigningKeyStore(options.state);
  return createFileSigningKeyStore(options);
}
