import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tlsPaths } from '../../src/tls/tls-home.js';
import { trustPlan, type TrustContext } from '../../src/tls/trust-stores.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function context(
  overrides: Partial<TrustContext> = {},
  tools = ['certutil', 'update-ca-certificates', 'sudo'],
) {
  const home = await mkdtemp(path.join(os.tmpdir(), 'gw-trust-'));
  cleanup.push(() => rm(home, { recursive: true, force: true }));
  const env = { HOME: home, GW_HOME: path.join(home, '.gw') };
  const ctx: TrustContext = {
    paths: tlsPaths(env),
    nickname: 'gw local CA 0123456789ab',
    env,
    platform: 'linux',
    isRoot: false,
    has: (command) => tools.includes(command),
    ...overrides,
  };
  return { home, ctx };
}

const commands = (ctx: TrustContext, install: boolean) =>
  trustPlan(ctx, install).map((step) => step.command?.join(' ') ?? `(${step.description})`);

describe('trust plan', () => {
  it('Linux: sudo for the system store when not root, Chromium’s db and every Firefox profile with cert9.db', async () => {
    const { home, ctx } = await context();
    const profile = path.join(home, '.mozilla', 'firefox', 'abc.default-release');
    await mkdir(profile, { recursive: true });
    await writeFile(path.join(profile, 'cert9.db'), '');
    await mkdir(path.join(home, '.mozilla', 'firefox', 'no-db'), { recursive: true });
    const ca = ctx.paths.caCert;
    expect(commands(ctx, true)).toEqual([
      `sudo cp ${ca} /usr/local/share/ca-certificates/gw-local-CA-0123456789ab.crt`,
      'sudo update-ca-certificates',
      `certutil -A -d sql:${home}/.pki/nssdb -t C,, -n gw local CA 0123456789ab -i ${ca}`,
      `certutil -A -d sql:${profile} -t C,, -n gw local CA 0123456789ab -i ${ca}`,
    ]);
    expect(commands(ctx, false)).toEqual([
      'sudo rm -f /usr/local/share/ca-certificates/gw-local-CA-0123456789ab.crt',
      'sudo update-ca-certificates',
      `certutil -D -d sql:${home}/.pki/nssdb -n gw local CA 0123456789ab`,
      `certutil -D -d sql:${profile} -n gw local CA 0123456789ab`,
    ]);
  });

  it('Fedora-style systems use the anchors folder and update-ca-trust; GW_TRUST_STORES picks the stores', async () => {
    const { ctx } = await context({ isRoot: true }, ['update-ca-trust']);
    expect(commands({ ...ctx, env: { ...ctx.env, GW_TRUST_STORES: 'system' } }, true)).toEqual([
      `cp ${ctx.paths.caCert} /etc/pki/ca-trust/source/anchors/gw-local-CA-0123456789ab.crt`,
      'update-ca-trust extract',
    ]);
    // No certutil: a step that says what to install, and nothing run.
    const nss = trustPlan({ ...ctx, env: { ...ctx.env, GW_TRUST_STORES: 'nss' } }, true);
    expect(nss).toHaveLength(1);
    expect(nss[0]).toMatchObject({ store: 'manual' });
    expect(nss[0]!.description).toContain('libnss3-tools');
  });

  it('macOS and Windows get the exact command to run themselves', async () => {
    const { ctx } = await context();
    const only = { ...ctx.env, GW_TRUST_STORES: 'system' };
    expect(commands({ ...ctx, env: only, platform: 'darwin' }, true)).toEqual([
      `sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${ctx.paths.caCert}`,
    ]);
    expect(commands({ ...ctx, env: only, platform: 'win32' }, true)).toEqual([
      `certutil -addstore -f ROOT ${ctx.paths.caCert}`,
    ]);
    expect(trustPlan({ ...ctx, env: only, platform: 'darwin' }, true)[0]!.store).toBe('manual');
  });
});
