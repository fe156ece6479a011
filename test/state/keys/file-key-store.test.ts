import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../../src/errors.js';
import { hashApiKey } from '../../../src/identity/api-key-format.js';
import { createFileKeyStore, KEYS_FILE } from '../../../src/state/keys/file-key-store.js';
import {
  createFileSigningKeyStore,
  SIGNING_KEYS_FILE,
} from '../../../src/state/signing-keys/file-signing-key-store.js';
import { waitFor } from '../../helpers/upstream.js';
import { createTempStateDir } from '../../identity/temp-state.js';
import { createEventStream } from '../../../src/events/event-stream.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await createTempStateDir()));
afterEach(() => remove());

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('file key store', () => {
  it('mints a gw_live_ key with 256 random bits and stores only its hash', async () => {
    const store = await createFileKeyStore({ stateDir: dir });
    const { key, record } = await store.create({ name: 'mobile-app', scopes: ['users:read'] });
    expect(key).toMatch(/^gw_live_[0-9A-Za-z]{43}$/);
    expect(record.id).toMatch(/^key_[0-9A-Za-z]{12}$/);
    const text = await readFile(path.join(dir, KEYS_FILE), 'utf8');
    expect(text).not.toContain(key);
    expect(text).not.toContain(key.slice(12));
    expect(text).toContain(hashApiKey(key));
    expect(store.find(key)).toEqual({ ok: true, record });
    expect(store.find(`${key}x`)).toEqual({ ok: false, reason: 'unknown' });
    await store.close();
  });

  it('writes atomically with owner-only permissions and leaves no temp files', async () => {
    const store = await createFileKeyStore({ stateDir: path.join(dir, 'nested', '.gw') });
    await Promise.all(Array.from({ length: 5 }, (_, i) => store.create({ name: `k${i}`, scopes: [] })));
    const stateDir = path.join(dir, 'nested', '.gw');
    expect((await stat(path.join(stateDir, KEYS_FILE))).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    expect((await readdir(stateDir)).sort()).toEqual(['.gitignore', KEYS_FILE]);
    // Concurrent creates never lose each other's write (the lock serialises read-modify-write).
    expect(await store.list()).toHaveLength(5);
    await store.close();
  });

  it('takes over the lock of a process that died holding it', async () => {
    const store = await createFileKeyStore({ stateDir: dir });
    await writeFile(path.join(dir, `${KEYS_FILE}.lock`), '2147483646');
    await store.create({ name: 'after-crash', scopes: [] });
    expect((await store.list()).map((k) => k.name)).toEqual(['after-crash']);
    expect(await readdir(dir)).not.toContain(`${KEYS_FILE}.lock`);
    await store.close();
  });

  it('a write that died half-way (a stray temp file) loses nothing', async () => {
    const store = await createFileKeyStore({ stateDir: dir });
    const { key } = await store.create({ name: 'kept', scopes: [] });
    await writeFile(path.join(dir, `${KEYS_FILE}.12345.deadbeef.tmp`), '{"version":1,"keys":[{"id":"half');
    const reopened = await createFileKeyStore({ stateDir: dir });
    expect(reopened.find(key).ok).toBe(true);
    await reopened.create({ name: 'more', scopes: [] });
    expect((await reopened.list()).map((k) => k.name)).toEqual(['kept', 'more']);
    await Promise.all([store.close(), reopened.close()]);
  });

  it('refuses revoked and expired keys', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const store = await createFileKeyStore({ stateDir: dir, now: () => now });
    const a = await store.create({ name: 'a', scopes: [] });
    const b = await store.create({ name: 'b', scopes: [], expiresAt: new Date(now + 60_000) });
    await store.revoke(a.record.id);
    expect(store.find(a.key)).toEqual({ ok: false, reason: 'revoked' });
    expect(store.find(b.key).ok).toBe(true);
    now += 60_000;
    expect(store.find(b.key)).toEqual({ ok: false, reason: 'expired' });
    await store.close();
  });

  it('refuses a key it accepted a moment before, once revoked here or by another process', async () => {
    const store = await createFileKeyStore({ stateDir: dir, watch: true });
    const cli = await createFileKeyStore({ stateDir: dir });
    const a = await store.create({ name: 'a', scopes: [] });
    const b = await store.create({ name: 'b', scopes: [] });
    expect(store.find(a.key).ok).toBe(true);
    expect(store.find(b.key).ok).toBe(true);
    await store.revoke(a.record.id);
    expect(store.find(a.key)).toEqual({ ok: false, reason: 'revoked' });
    await cli.revoke(b.record.id);
    await waitFor(() => !store.find(b.key).ok, 1000);
    expect(store.find(b.key)).toEqual({ ok: false, reason: 'revoked' });
    await Promise.all([store.close(), cli.close()]);
  });

  it('says GW_KEY_NOT_FOUND for an unknown id and writes nothing', async () => {
    const store = await createFileKeyStore({ stateDir: dir });
    const error = await errorOf(store.revoke('key_nope'));
    expect(isGatewayError(error) && error.code).toBe('GW_KEY_NOT_FOUND');
    expect(await readdir(dir)).not.toContain(KEYS_FILE);
    await store.close();
  });

  it('sees keys another process creates and revokes, within a second', async () => {
    const gateway = await createFileKeyStore({ stateDir: dir, watch: true });
    const cli = await createFileKeyStore({ stateDir: dir });
    const { key, record } = await cli.create({ name: 'from-cli', scopes: [] });
    await waitFor(() => gateway.find(key).ok, 1000);
    await cli.revoke(record.id);
    await waitFor(() => !gateway.find(key).ok, 1000);
    await Promise.all([gateway.close(), cli.close()]);
  });

  it('names the corrupt file, keeps it untouched, and keeps the last good keys when it breaks while running', async () => {
    const writer = await createFileKeyStore({ stateDir: dir });
    const { key } = await writer.create({ name: 'good', scopes: [] });
    const warnings: string[] = [];
    const events = createEventStream();
    events.subscribe((e) => e.type === 'store-warning' && warnings.push(e.message));
    const gateway = await createFileKeyStore({ stateDir: dir, watch: true, events });
    const file = path.join(dir, KEYS_FILE);
    await writeFile(file, '{"version":1,"keys":[{"id":');
    await waitFor(() => warnings.length > 0, 2000);
    expect(warnings[0]).toContain(file);
    expect(gateway.find(key).ok).toBe(true);

    const opening = await errorOf(createFileKeyStore({ stateDir: dir }));
    expect(isGatewayError(opening) && opening.code).toBe('GW_STATE_CORRUPT');
    expect(isGatewayError(opening) && opening.file).toBe(file);
    const writing = await errorOf(writer.create({ name: 'more', scopes: [] }));
    expect(isGatewayError(writing) && writing.code).toBe('GW_STATE_CORRUPT');
    expect(await readFile(file, 'utf8')).toBe('{"version":1,"keys":[{"id":');
    await Promise.all([gateway.close(), writer.close()]);
  });

  it('reports content that is JSON but not a key file as corrupt', async () => {
    await writeFile(path.join(dir, KEYS_FILE), JSON.stringify({ version: 1, keys: [{ id: 'x' }] }));
    const error = await errorOf(createFileKeyStore({ stateDir: dir }));
    expect(isGatewayError(error) && error.code).toBe('GW_STATE_CORRUPT');
  });

  it('a corrupt key file does not affect the signing keys, and the reverse', async () => {
    await writeFile(path.join(dir, KEYS_FILE), 'not json');
    const signing = await createFileSigningKeyStore({ stateDir: dir });
    expect((await signing.ensure()).keys).toHaveLength(1);
    await writeFile(path.join(dir, KEYS_FILE), JSON.stringify({ version: 1, keys: [] }));
    await writeFile(path.join(dir, SIGNING_KEYS_FILE), '{');
    const keys = await createFileKeyStore({ stateDir: dir });
    expect((await keys.create({ name: 'ok', scopes: [] })).key).toBeTruthy();
    const error = await errorOf(createFileSigningKeyStore({ stateDir: dir }));
    expect(isGatewayError(error) && error.code).toBe('GW_STATE_CORRUPT');
    await keys.close();
  });

  it('records last use off the request path and lists it', async () => {
    const store = await createFileKeyStore({ stateDir: dir });
    const { record } = await store.create({ name: 'a', scopes: [] });
    store.touch(record.id);
    await store.close(); // flushes
    const again = await createFileKeyStore({ stateDir: dir });
    expect((await again.list())[0]!.lastUsedAt).toBeTruthy();
    await again.close();
  });
});
