import path from 'node:path';
import { z } from 'zod';
import { GatewayError } from '../../errors.js';
import type { EventStream } from '../../events/event-stream.js';
import type { ApiKeyLookup, ApiKeyRecord, KeyStore, NewApiKey } from '../types.js';
import {
  lookupApiKey,
  mintApiKey,
  storedKeySchema,
  type PresentedKeyHashes,
} from '../../identity/api-key-format.js';
import { ensureStateDir, readStateFile, withFileLock, writeStateFile } from '../../identity/state-files.js';
import { throttledRefresh } from '../../identity/throttled-refresh.js';
import { watchStateFile } from '../../identity/watch-state-file.js';

export const KEYS_FILE = 'keys.json';
// Written only by the gateway, so it never races the CLI's writes to keys.json.
export const KEY_USAGE_FILE = 'key-usage.json';
const USAGE_FLUSH_MS = 5_000;

const recordSchema = storedKeySchema.extend({ revokedAt: z.string().optional() });
const keysFileSchema = z.object({ version: z.literal(1), keys: z.array(recordSchema) });
const usageFileSchema = z.object({ version: z.literal(1), lastUsed: z.record(z.string(), z.string()) });

export interface FileKeyStoreOptions {
  stateDir: string;
  /** Follow changes other processes make (the running gateway does; the CLI does not). */
  watch?: boolean;
  events?: EventStream;
  now?: () => number;
}

interface View {
  byHash: Map<string, ApiKeyRecord>;
  records: ApiKeyRecord[];
  /** Presented keys already hashed, for this view only: a reload starts it empty. */
  hashes: PresentedKeyHashes;
}

function indexRecords(records: ApiKeyRecord[]): View {
  return { records, byHash: new Map(records.map((record) => [record.hash, record])), hashes: new Map() };
}

/** API keys in `<stateDir>/keys.json`: hashed, atomic, owner-only, followed live by the gateway. */
export async function createFileKeyStore(options: FileKeyStoreOptions): Promise<KeyStore> {
  const file = path.join(options.stateDir, KEYS_FILE);
  const usageFile = path.join(options.stateDir, KEY_USAGE_FILE);
  const now = options.now ?? Date.now;
  const readRecords = async () => ((await readStateFile(file, keysFileSchema))?.keys ?? []) as ApiKeyRecord[];
  let view = indexRecords(await readRecords());
  const used = new Map<string, number>();
  let flushTimer: NodeJS.Timeout | undefined;

  const refresh = async () => {
    try {
      view = indexRecords(await readRecords());
    } catch (error) {
      // Keep serving the last good keys: a half-edited file must not lock everyone out.
      options.events?.emit({ type: 'store-warning', at: Date.now(), message: (error as Error).message });
    }
  };
  const unwatch = options.watch ? watchStateFile(file, () => void refresh()) : undefined;
  const refreshSoon = throttledRefresh(refresh);

  const update = async (change: (records: ApiKeyRecord[]) => ApiKeyRecord[]) => {
    await ensureStateDir(options.stateDir);
    await withFileLock(file, async () => {
      const records = change(await readRecords());
      await writeStateFile(file, { version: 1, keys: records });
      view = indexRecords(records);
    });
  };

  const flushUsage = async () => {
    flushTimer = undefined;
    if (used.size === 0) return;
    const batch = new Map(used);
    used.clear();
    await withFileLock(usageFile, async () => {
      const current =
        (await readStateFile(usageFile, usageFileSchema).catch(() => undefined))?.lastUsed ?? {};
      for (const [id, at] of batch) current[id] = new Date(at).toISOString();
      await writeStateFile(usageFile, { version: 1, lastUsed: current });
    }).catch(() => undefined);
  };

  return {
    async create(input: NewApiKey) {
      const { key, record } = mintApiKey(input, now());
      await update((records) => [...records, record]);
      return { key, record };
    },

    async list() {
      const records = await readRecords();
      const usage = (await readStateFile(usageFile, usageFileSchema).catch(() => undefined))?.lastUsed ?? {};
      return records.map((record) => {
        const lastUsedAt = usage[record.id];
        return lastUsedAt === undefined ? record : { ...record, lastUsedAt };
      });
    },

    async revoke(id) {
      let revoked: ApiKeyRecord | undefined;
      await update((records) => {
        const next = records.map((record) => {
          if (record.id !== id) return record;
          revoked = record.revokedAt ? record : { ...record, revokedAt: new Date(now()).toISOString() };
          return revoked;
        });
        // Thrown inside the lock, before the write: an unknown id changes nothing on disk.
        if (!revoked) throw new GatewayError('GW_KEY_NOT_FOUND', `No key has the id ${id}`);
        return next;
      });
      return revoked!;
    },

    find(key): ApiKeyLookup {
      return lookupApiKey(view.byHash, key, now(), view.hashes);
    },

    refresh: refreshSoon,

    touch(id) {
      used.set(id, now());
      if (flushTimer === undefined) {
        flushTimer = setTimeout(() => void flushUsage(), USAGE_FLUSH_MS);
        flushTimer.unref();
      }
    },

    async close() {
      unwatch?.();
      clearTimeout(flushTimer);
      await flushUsage();
    },
  };
}
