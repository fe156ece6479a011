import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runGw } from '../helpers/gw-process.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** A temporary HOME with GW_HOME inside it: nothing touches the machine's own stores or ~/.gw. */
async function sandbox() {
  const home = await mkdtemp(path.join(os.tmpdir(), 'gw-cert-'));
  cleanup.push(() => rm(home, { recursive: true, force: true }));
  const env = { HOME: home, GW_HOME: path.join(home, 'gw-home') };
  return {
    home,
    env,
    gw: (args: string[], extra: NodeJS.ProcessEnv = {}) =>
      runGw(args, { cwd: home, env: { ...env, ...extra } }),
  };
}

describe('gw cert', () => {
  it('info creates the CA on first use in GW_HOME and reports it; --json has subject, names, expiry, fingerprint, paths', async () => {
    const { env, gw } = await sandbox();
    const first = await gw(['cert', 'info']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('(created now)');
    const info = await gw(['cert', 'info', '--json']);
    expect(info.code).toBe(0);
    const report = JSON.parse(info.stdout);
    const caFile = path.join(env.GW_HOME, 'tls', 'ca', 'ca.pem');
    expect(report.ca).toMatchObject({
      file: caFile,
      key: path.join(env.GW_HOME, 'tls', 'ca', 'ca-key.pem'),
      created: false,
    });
    const ca = new X509Certificate(await readFile(caFile));
    expect(report.ca.sha256).toBe(ca.fingerprint256);
    expect(report.ca.subject).toMatch(/^CN=gw local CA /);
    expect(Date.parse(report.ca.notAfter)).toBeGreaterThan(Date.now() + 9 * 365 * 864e5);
    expect((await stat(report.ca.key)).mode & 0o777).toBe(0o600);
    expect(report.leaves).toEqual([]);
  });

  it('renew issues the leaves again (new fingerprints, same CA) and info lists them', async () => {
    const { gw } = await sandbox();
    const first = JSON.parse((await gw(['cert', 'renew', '--json'])).stdout);
    expect(first.map((leaf: { names: string[] }) => leaf.names)).toEqual([
      ['localhost', '*.localhost', '127.0.0.1', '0:0:0:0:0:0:0:1'],
    ]);
    const second = JSON.parse((await gw(['cert', 'renew', '--json'])).stdout);
    expect(second[0].sha256).not.toBe(first[0].sha256);
    const info = JSON.parse((await gw(['cert', 'info', '--json'])).stdout);
    expect(info.leaves).toMatchObject([{ sha256: second[0].sha256, issuedByCa: true }]);
    expect(Date.parse(info.leaves[0].notAfter) - Date.parse(info.leaves[0].notBefore)).toBeLessThanOrEqual(
      397 * 864e5,
    );
  });

  it('trust --dry-run prints the system store commands and changes nothing', async () => {
    const { gw, env } = await sandbox();
    const dry = await gw(['cert', 'trust', '--dry-run'], { GW_TRUST_STORES: 'system' });
    expect(dry.code).toBe(0);
    const caFile = path.join(env.GW_HOME, 'tls', 'ca', 'ca.pem');
    expect(dry.stdout).toMatch(
      new RegExp(`cp ${caFile} /usr/local/share/ca-certificates/gw-local-CA-[0-9a-f]{12}\\.crt`),
    );
    expect(dry.stdout).toContain('update-ca-certificates');
    const untrust = await gw(['cert', 'untrust', '--dry-run'], { GW_TRUST_STORES: 'system' });
    expect(untrust.stdout).toMatch(
      /rm -f \/usr\/local\/share\/ca-certificates\/gw-local-CA-[0-9a-f]{12}\.crt/,
    );
    const systemDir = '/usr/local/share/ca-certificates';
    const planted = existsSync(systemDir)
      ? readdirSync(systemDir).filter((f) => f.startsWith('gw-local-CA'))
      : [];
    expect(planted).toEqual([]);
  });

  it('trust adds the CA to a fresh NSS database (Chromium’s, in HOME) and untrust removes it', async () => {
    const { gw, home } = await sandbox();
    const db = `sql:${path.join(home, '.pki', 'nssdb')}`;
    const trusted = await gw(['cert', 'trust'], { GW_TRUST_STORES: 'nss' });
    expect(trusted.code, trusted.stderr).toBe(0);
    const { ca } = JSON.parse((await gw(['cert', 'info', '--json'])).stdout);
    const nickname = `gw local CA ${ca.sha256.replace(/:/g, '').slice(0, 12).toLowerCase()}`;
    const listed = execFileSync('certutil', ['-L', '-d', db], { encoding: 'utf8' });
    expect(listed).toMatch(new RegExp(`${nickname}\\s+C,,`));
    const pem = execFileSync('certutil', ['-L', '-d', db, '-n', nickname, '-a'], { encoding: 'utf8' });
    expect(new X509Certificate(pem).fingerprint256).toBe(ca.sha256);

    const untrusted = await gw(['cert', 'untrust'], { GW_TRUST_STORES: 'nss' });
    expect(untrusted.code).toBe(0);
    expect(execFileSync('certutil', ['-L', '-d', db], { encoding: 'utf8' })).not.toContain(nickname);
    // Untrusting again is not an error: there is nothing left to remove.
    expect((await gw(['cert', 'untrust'], { GW_TRUST_STORES: 'nss' })).code).toBe(0);
  });

  it('a corrupt CA is GW_TLS_CA_INVALID with the file named', async () => {
    const { gw, env } = await sandbox();
    await gw(['cert', 'info']);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(env.GW_HOME, 'tls', 'ca', 'ca-key.pem'), 'garbage');
    const broken = await gw(['cert', 'info']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('GW_TLS_CA_INVALID');
    expect(broken.stderr).toContain(path.join(env.GW_HOME, 'tls', 'ca', 'ca-key.pem'));
  });
});
