import path from 'node:path';
import { z } from 'zod';
import type { EventStream } from '../../events/event-stream.js';
import type { SigningAlgorithm, SigningKeyEntry, SigningKeySet, SigningKeyStore } from '../types.js';
import { generateSigningKey } from '../../identity/generate-signing-key.js';
import { ensureStateDir, readStateFile, withFileLock, writeStateFile } from '../../identity/state-files.js';
import { throttledRefresh } from '../../identity/throttled-refresh.js';
import { watchStateFile } from '../../identity/watch-state-file.js';

export const SIGNING_KEYS_FILE = 'signing-keys.json';

const jwk = z.record(z.string(), z.string());
const entrySchema = z.object({
  kid: z.string().min(1),
  alg: z.enum(['HS256', 'ES256', 'EdDSA']),
  createdAt: z.string(),
  secret: z.string().optional(),
  privateJwk: jwk.optional(),
  publicJwk: jwk.optional(),
});
const fileSchema = z
  .object({ version: z.literal(1), current: z.string(), keys: z.array(entrySchema).min(1) })
  .refine((set) => set.keys.some((key) => key.kid === set.current), { message: 'current names no key' });

export interface FileSigningKeyStoreOptions {
  stateDir: string;
  watch?: boolean;
  events?: EventStream;
}

/** Token signing keys in `<stateDir>/signing-keys.json` (owner-only, atomic, followed live). */
export async function createFileSigningKeyStore(
  options: FileSigningKeyStoreOptions,
): Promise<SigningKeyStore> {
  const file = path.join(options.stateDir, SIGNING_KEYS_FILE);
  const read = async (): Promise<SigningKeySet | undefined> => {
    const data = await readStateFile(file, fileSchema);
    return data && { current: data.current, keys: data.keys };
  };
  let set = await read();

  const refresh = async () => {
    try {
      set = (await read()) ?? set;
    } catch (error) {
      options.events?.emit({ type: 'store-warning', at: Date.now(), message: (error as Error).message });
    }
  };
  const unwatch = options.watch ? watchStateFile(file, () => void refresh()) : undefined;
  const refreshSoon = throttledRefresh(refresh);

  const update = async (
    change: (current: SigningKeySet | undefined) => Promise<SigningKeySet | undefined>,
  ) => {
    await ensureStateDir(options.stateDir);
    return withFileLock(file, async () => {
      // Re-read under the lock: another process may have generated or rotated meanwhile.
      const current = await read();
      const next = await change(current);
      if (next && next !== current) await writeStateFile(file, { version: 1, ...next });
      set = next;
      return next;
    });
  };

  return {
    current: () => set,
    refresh: refreshSoon,
    async ensure() {
      if (set) return set;
      const next = await update(async (current) => current ?? single(await generateSigningKey('HS256')));
      return next!;
    },
    async rotate(alg: SigningAlgorithm) {
      const entry = await generateSigningKey(alg);
      await update(async (current) => ({ current: entry.kid, keys: [...(current?.keys ?? []), entry] }));
      return entry;
    },
    async close() {
      unwatch?.();
    },
  };
}

function single(entry: SigningKeyEntry): SigningKeySet {
  return { current: entry.kid, keys: [entry] };
}
