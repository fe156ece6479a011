import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../src/errors.js';
import { createTempStateDir } from '../identity/temp-state.js';
import { runIdentityCli } from './run-identity-cli.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await createTempStateDir()));
afterEach(() => remove());

const gwDir = () => path.join(dir, '.gw');

describe('gw keys', () => {
  it('creates a key in .gw/ of the working folder, prints it once, and lists it without it', async () => {
    const created = await runIdentityCli(
      [
        'keys',
        'create',
        '--name',
        'mobile-app',
        '--scopes',
        'users:read,orders:write',
        '--expires',
        '30d',
        '--json',
      ],
      { cwd: dir },
    );
    expect(created.error).toBeUndefined();
    const json = JSON.parse(created.stdout) as {
      id: string;
      key: string;
      scopes: string[];
      expiresAt: string;
      hash?: string;
    };
    expect(json.key).toMatch(/^gw_live_/);
    expect(json.scopes).toEqual(['users:read', 'orders:write']);
    expect(json.hash).toBeUndefined();
    expect(Date.parse(json.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect((await stat(path.join(gwDir(), 'keys.json'))).mode & 0o777).toBe(0o600);

    const listed = await runIdentityCli(['keys', 'list'], { cwd: dir });
    expect(listed.stdout).toMatch(/ID\s+NAME\s+SCOPES\s+TIER\s+CREATED\s+EXPIRES\s+LAST USED\s+STATUS/);
    expect(listed.stdout).toContain(json.id);
    expect(listed.stdout).toContain('mobile-app');
    expect(listed.stdout).toContain('active');
    expect(listed.stdout).not.toContain(json.key);
    const listedJson = JSON.parse(
      (await runIdentityCli(['keys', 'list', '--json'], { cwd: dir })).stdout,
    ) as Array<Record<string, unknown>>;
    expect(listedJson).toHaveLength(1);
    expect(listedJson[0]).toMatchObject({ id: json.id, status: 'active' });
    expect(JSON.stringify(listedJson)).not.toContain(json.key);
  });

  it('prints a readable result without --json', async () => {
    const { stdout } = await runIdentityCli(['keys', 'create', '--name', 'cli'], { cwd: dir });
    expect(stdout).toMatch(/Created key_\w+ \(cli\)\n {2}gw_live_\w+\n/);
    expect(stdout).toContain('shown only this once');
  });

  it('revokes by id, and says GW_KEY_NOT_FOUND for an unknown one', async () => {
    const { id } = JSON.parse(
      (await runIdentityCli(['keys', 'create', '--name', 'x', '--json'], { cwd: dir })).stdout,
    ) as { id: string };
    expect((await runIdentityCli(['keys', 'revoke', id], { cwd: dir })).stdout).toContain(`Revoked ${id}`);
    expect((await runIdentityCli(['keys', 'list'], { cwd: dir })).stdout).toContain('revoked');
    const missing = await runIdentityCli(['keys', 'revoke', 'key_nope'], { cwd: dir });
    expect(isGatewayError(missing.error) && missing.error.code).toBe('GW_KEY_NOT_FOUND');
  });

  it('finds the state folder by --state-dir, then GW_STATE_DIR, then beside --config', async () => {
    await runIdentityCli(['keys', 'create', '--name', 'a', '--state-dir', 'custom'], { cwd: dir });
    await runIdentityCli(['keys', 'create', '--name', 'b'], {
      cwd: dir,
      env: { GW_STATE_DIR: path.join(dir, 'from-env') },
    });
    await mkdir(path.join(dir, 'app'));
    await writeFile(path.join(dir, 'app', 'gateway.config.json'), '{}');
    await runIdentityCli(['keys', 'create', '--name', 'c', '--config', 'app/gateway.config.json'], {
      cwd: dir,
    });
    const missing = await runIdentityCli(['keys', 'list', '--config', 'nope/gateway.config.ts'], {
      cwd: dir,
    });
    expect(isGatewayError(missing.error) && missing.error.code).toBe('GW_CONFIG_NOT_FOUND');
    const names = async (file: string) =>
      (JSON.parse(await readFile(file, 'utf8')) as { keys: Array<{ name: string }> }).keys.map((k) => k.name);
    expect(await names(path.join(dir, 'custom', 'keys.json'))).toEqual(['a']);
    expect(await names(path.join(dir, 'from-env', 'keys.json'))).toEqual(['b']);
    expect(await names(path.join(dir, 'app', '.gw', 'keys.json'))).toEqual(['c']);
  });

  it('rejects a bad --expires with GW_KEY_ARGUMENT', async () => {
    const { error } = await runIdentityCli(['keys', 'create', '--name', 'x', '--expires', 'soon'], {
      cwd: dir,
    });
    expect(isGatewayError(error) && error.code).toBe('GW_KEY_ARGUMENT');
  });

  it('names a corrupt key file and leaves it as it was', async () => {
    await runIdentityCli(['keys', 'create', '--name', 'x'], { cwd: dir });
    const file = path.join(gwDir(), 'keys.json');
    await writeFile(file, '{"version":1,"keys":[');
    const { error } = await runIdentityCli(['keys', 'create', '--name', 'y'], { cwd: dir });
    expect(isGatewayError(error) && error.code).toBe('GW_STATE_CORRUPT');
    expect(isGatewayError(error) && error.message).toContain(file);
    expect(await readFile(file, 'utf8')).toBe('{"version":1,"keys":[');
    // The token commands use other files and keep working.
    const issued = await runIdentityCli(['token', 'issue', '--sub', 'u'], { cwd: dir });
    expect(issued.error).toBeUndefined();
  });
});
