import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { isGatewayError } from '../../src/errors.js';
import { createSniCallback } from '../../src/tls/sni-callback.js';
import { loadUserCertificate } from '../../src/tls/user-certificate.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** A folder with a real certificate and key (issued by a throwaway gw CA) as a user would have them. */
async function certFolder() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-usercert-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const certs = await createSniCallback({ env: { GW_HOME: path.join(dir, 'home') } });
  const leaf = await certs.leafFor('app.localhost');
  const other = await certs.leafFor('other.localhost');
  await writeFile(path.join(dir, 'dev.pem'), leaf.cert);
  await writeFile(path.join(dir, 'dev-key.pem'), leaf.key);
  await writeFile(path.join(dir, 'other-key.pem'), other.key);
  return dir;
}

function problems(run: () => unknown): Array<{ path: string; hint: string | undefined }> {
  try {
    run();
  } catch (error) {
    if (isGatewayError(error) && error.code === 'GW_CONFIG_INVALID')
      return error.problems.map((p) => ({ path: p.path, hint: p.hint }));
    throw error;
  }
  return [];
}

describe('tls: { cert, key } — the user’s own files', () => {
  it('a matching pair loads, relative to the config file', async () => {
    const dir = await certFolder();
    const loaded = loadUserCertificate({ cert: './dev.pem', key: 'dev-key.pem', baseDir: dir });
    expect(loaded.cert).toContain('BEGIN CERTIFICATE');
    expect(loaded.certFile).toBe(path.join(dir, 'dev.pem'));
    expect(() =>
      resolveConfig(
        { tls: { cert: './dev.pem', key: './dev-key.pem' } },
        path.join(dir, 'gateway.config.ts'),
      ),
    ).not.toThrow();
  });

  it.each([
    [
      'a missing cert file',
      { cert: './nope.pem', key: './dev-key.pem' },
      ['tls.cert'],
      /relative to the config/,
    ],
    [
      'a key of another certificate',
      { cert: './dev.pem', key: './other-key.pem' },
      ['tls.key'],
      /key written together/,
    ],
    ['cert and key swapped', { cert: './dev-key.pem', key: './dev.pem' }, ['tls.cert', 'tls.key'], /swap/],
    ['a folder for a file', { cert: '.', key: './dev-key.pem' }, ['tls.cert'], /PEM file itself/],
    ['cert without key', { cert: './dev.pem' }, ['tls.key'], /both cert and key/],
    [
      'hosts with cert',
      { cert: './dev.pem', key: './dev-key.pem', hosts: ['a.test'] },
      ['tls.hosts'],
      /remove hosts/,
    ],
  ])('%s is GW_CONFIG_INVALID at the field with a hint', async (_name, tls, paths, hint) => {
    const dir = await certFolder();
    const found = problems(() => resolveConfig({ tls }, path.join(dir, 'gateway.config.ts')));
    expect(found.map((p) => p.path)).toEqual(paths);
    expect(found[0]!.hint).toMatch(hint);
  });

  it('loadUserCertificate names the config file in its error and an expired certificate is refused', async () => {
    const dir = await certFolder();
    const configFile = path.join(dir, 'gateway.config.ts');
    let error: unknown;
    try {
      loadUserCertificate({
        cert: './dev.pem',
        key: './dev-key.pem',
        baseDir: dir,
        configFile,
        now: new Date('2099-01-01'),
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'GW_CONFIG_INVALID', file: configFile });
    expect(isGatewayError(error) && error.problems.map((p) => p.path)).toEqual(['tls.cert']);
  });
});
