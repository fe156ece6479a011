import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../src/errors.js';
import { createGatewayState } from '../../src/state/create-state.js';
import { resolveStateDir } from '../../src/state/state-dir.js';
import { createTempStateDir } from '../identity/temp-state.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await createTempStateDir()));
afterEach(() => remove());

describe('createGatewayState', () => {
  it('creates a missing state folder owner-only, with a .gitignore, beside the config', async () => {
    const state = await createGatewayState({ configDir: dir });
    expect(state.stateDir).toBe(path.join(dir, '.gw'));
    expect((await stat(state.stateDir)).mode & 0o777).toBe(0o700);
    expect(await readFile(path.join(state.stateDir, '.gitignore'), 'utf8')).toBe('*\n');
    expect(await state.keys.list()).toEqual([]);
    expect(state.signingKeys.current()).toBeUndefined();
    await state.close();
  });

  it.each(['keys.json', 'signing-keys.json'])(
    'refuses to start on a corrupt %s, naming it and leaving it alone',
    async (name) => {
      const stateDir = path.join(dir, 'state');
      await mkdir(stateDir);
      const file = path.join(stateDir, name);
      await writeFile(file, '{ broken');
      const error = await createGatewayState({ stateDir }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(isGatewayError(error) && [error.code, error.file]).toEqual(['GW_STATE_CORRUPT', file]);
      expect(isGatewayError(error) && error.message).toContain(file);
      expect(await readFile(file, 'utf8')).toBe('{ broken');
    },
  );

  it('resolves the folder from --state-dir, then GW_STATE_DIR, then the config folder', () => {
    expect(resolveStateDir({ stateDir: '/a', configDir: '/c', env: { GW_STATE_DIR: '/b' } })).toBe('/a');
    expect(resolveStateDir({ configDir: '/c', env: { GW_STATE_DIR: '/b' } })).toBe('/b');
    expect(resolveStateDir({ configDir: '/c', env: {} })).toBe('/c/.gw');
  });
});
