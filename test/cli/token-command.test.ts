import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../src/errors.js';
import { createTempStateDir } from '../identity/temp-state.js';
import { runIdentityCli } from './run-identity-cli.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await createTempStateDir()));
afterEach(() => remove());

describe('gw token', () => {
  it('issues a token with sub, ttl, scopes and claims, alone on stdout', async () => {
    const { stdout, error } = await runIdentityCli(
      [
        'token',
        'issue',
        '--sub',
        'user123',
        '--ttl',
        '15m',
        '--scope',
        'orders:write',
        '--scope',
        'users:read',
        '--claim',
        'plan=pro',
        '--claim',
        'seats=5',
      ],
      { cwd: dir },
    );
    expect(error).toBeUndefined();
    const token = stdout.trim();
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      sub: 'user123',
      iss: 'gw',
      aud: 'gw',
      scope: 'orders:write users:read',
      plan: 'pro',
      seats: 5,
    });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'HS256', typ: 'JWT' });
  });

  it('uses the issuer and audience of the config in the folder', async () => {
    await writeFile(
      path.join(dir, 'gateway.config.json'),
      JSON.stringify({ identity: { jwt: { issuer: 'https://gw.local', audience: 'shop' } } }),
    );
    const { stdout, error } = await runIdentityCli(['token', 'issue', '--sub', 'u', '--json'], { cwd: dir });
    expect(error).toBeUndefined();
    expect(JSON.parse(stdout).claims).toMatchObject({ iss: 'https://gw.local', aud: 'shop' });
    const verified = await runIdentityCli(['token', 'verify', JSON.parse(stdout).token], { cwd: dir });
    expect(verified.stdout).toContain('valid token for u');
  });

  it('verifies a token: a table of claims, or exactly why not', async () => {
    const token = (await runIdentityCli(['token', 'issue', '--sub', 'user123'], { cwd: dir })).stdout.trim();
    const ok = await runIdentityCli(['token', 'verify', token], { cwd: dir });
    expect(ok.stdout).toContain('valid token for user123');
    expect(ok.stdout).toMatch(/CLAIM\s+VALUE/);
    expect(ok.stdout).toMatch(/sub\s+user123/);
    const json = await runIdentityCli(['token', 'verify', token, '--json'], { cwd: dir });
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, claims: { sub: 'user123' } });

    const bad = await runIdentityCli(['token', 'verify', `${token.slice(0, -4)}AAAA`], { cwd: dir });
    expect(isGatewayError(bad.error) && [bad.error.code, bad.error.message]).toEqual([
      'GW_TOKEN_INVALID',
      'The token signature does not match',
    ]);
    const badJson = await runIdentityCli(['token', 'verify', 'nope', '--json'], { cwd: dir });
    expect(JSON.parse(badJson.stdout)).toEqual({ valid: false, reason: 'The token is malformed' });
    expect(isGatewayError(badJson.error)).toBe(true);
  });

  it('rotates to a key pair; older tokens still verify, newer ones carry the new kid', async () => {
    const old = (await runIdentityCli(['token', 'issue', '--sub', 'a'], { cwd: dir })).stdout.trim();
    const rotated = JSON.parse(
      (await runIdentityCli(['token', 'rotate-key', '--json'], { cwd: dir })).stdout,
    ) as { kid: string; alg: string };
    expect(rotated.alg).toBe('ES256');
    const fresh = (await runIdentityCli(['token', 'issue', '--sub', 'b'], { cwd: dir })).stdout.trim();
    expect(decodeProtectedHeader(fresh)).toMatchObject({ alg: 'ES256', kid: rotated.kid });
    for (const token of [old, fresh])
      expect((await runIdentityCli(['token', 'verify', token], { cwd: dir })).error).toBeUndefined();
    const ed = await runIdentityCli(['token', 'rotate-key', '--alg', 'EdDSA'], { cwd: dir });
    expect(ed.stdout).toContain('New EdDSA signing key');
  });

  it.each([
    [['token', 'issue', '--sub', 'u', '--ttl', 'forever']],
    [['token', 'issue', '--sub', 'u', '--claim', 'exp=5']],
    [['token', 'issue', '--sub', 'u', '--claim', 'novalue']],
    [['token', 'rotate-key', '--alg', 'RS256']],
  ])('rejects bad arguments with GW_TOKEN_ARGUMENT: %j', async (args) => {
    const { error } = await runIdentityCli(args, { cwd: dir });
    expect(isGatewayError(error) && error.code).toBe('GW_TOKEN_ARGUMENT');
  });

  it('names a corrupt signing-key file', async () => {
    await runIdentityCli(['token', 'issue', '--sub', 'u'], { cwd: dir });
    const file = path.join(dir, '.gw', 'signing-keys.json');
    await writeFile(file, 'garbage');
    const { error } = await runIdentityCli(['token', 'issue', '--sub', 'u'], { cwd: dir });
    expect(isGatewayError(error) && [error.code, error.file]).toEqual(['GW_STATE_CORRUPT', file]);
  });
});
