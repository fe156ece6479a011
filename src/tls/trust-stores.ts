import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { TlsPaths } from './tls-home.js';

/**
 * The steps that make a machine trust gw's CA, as data: `gw cert trust --dry-run` prints them,
 * `gw cert trust` runs them. Like mkcert, the stores are chosen by GW_TRUST_STORES (comma list
 * of `system`, `nss`; default both), which is also how tests keep away from the machine's own.
 */
export interface TrustStep {
  store: 'system' | 'nss' | 'manual';
  description: string;
  /** argv to run; undefined for a step the user runs (macOS, Windows). */
  command?: string[];
  /** An NSS db to create first when it does not exist yet (Chromium's, before Chromium ever ran). */
  createDb?: string;
}

export interface TrustContext {
  paths: TlsPaths;
  /** The CA's nickname in stores: stable for one CA, different for the next. */
  nickname: string;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  isRoot: boolean;
  /** Whether an executable is on PATH. */
  has: (command: string) => boolean;
}

function stores(env: NodeJS.ProcessEnv): Set<string> {
  const chosen = env.GW_TRUST_STORES?.split(',').map((s) => s.trim().toLowerCase());
  return new Set(chosen && chosen.length > 0 && chosen[0] !== '' ? chosen : ['system', 'nss']);
}

/** Chromium's shared NSS db, and every Firefox profile (deb and snap installs). */
export function nssDatabases(home: string): string[] {
  const dbs = [path.join(home, '.pki', 'nssdb')];
  for (const root of [
    path.join(home, '.mozilla', 'firefox'),
    path.join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox'),
  ]) {
    let entries: string[] = [];
    try {
      entries = readdirSync(root);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const profile = path.join(root, entry);
      if (existsSync(path.join(profile, 'cert9.db'))) dbs.push(profile);
    }
  }
  return dbs;
}

function systemSteps(ctx: TrustContext, install: boolean): TrustStep[] {
  const sudo = ctx.isRoot || !ctx.has('sudo') ? [] : ['sudo'];
  const file = `${ctx.nickname.replace(/\s+/g, '-')}.crt`;
  if (ctx.platform === 'darwin') {
    return [
      {
        store: 'manual',
        description: install ? 'macOS keychain (run it yourself)' : 'macOS keychain (run it yourself)',
        command: install
          ? [
              'sudo',
              'security',
              'add-trusted-cert',
              '-d',
              '-r',
              'trustRoot',
              '-k',
              '/Library/Keychains/System.keychain',
              ctx.paths.caCert,
            ]
          : ['sudo', 'security', 'remove-trusted-cert', '-d', ctx.paths.caCert],
      },
    ];
  }
  if (ctx.platform === 'win32') {
    return [
      {
        store: 'manual',
        description: 'Windows root store (run it yourself in an elevated prompt)',
        command: install
          ? ['certutil', '-addstore', '-f', 'ROOT', ctx.paths.caCert]
          : ['certutil', '-delstore', 'ROOT', ctx.nickname],
      },
    ];
  }
  // Debian, Ubuntu, Alpine: update-ca-certificates; Fedora, RHEL, Arch: update-ca-trust.
  const debian = ctx.has('update-ca-certificates') || !ctx.has('update-ca-trust');
  const dir = debian ? '/usr/local/share/ca-certificates' : '/etc/pki/ca-trust/source/anchors';
  const target = path.join(dir, file);
  const update = debian ? ['update-ca-certificates'] : ['update-ca-trust', 'extract'];
  return [
    {
      store: 'system',
      description: install ? `system store: copy the CA to ${target}` : `system store: remove ${target}`,
      command: install ? [...sudo, 'cp', ctx.paths.caCert, target] : [...sudo, 'rm', '-f', target],
    },
    { store: 'system', description: 'system store: rebuild the bundle', command: [...sudo, ...update] },
  ];
}

function nssSteps(ctx: TrustContext, install: boolean): TrustStep[] {
  const home = ctx.env.HOME ?? '';
  if (!ctx.has('certutil') || ctx.platform === 'win32')
    return [
      {
        store: 'manual',
        description:
          'Chromium and Firefox (NSS): certutil not found; install libnss3-tools (Debian/Ubuntu) or nss-tools (Fedora) and run this again',
      },
    ];
  return nssDatabases(home).map((db) => {
    const shared = db === path.join(home, '.pki', 'nssdb');
    return {
      store: 'nss' as const,
      description: `${shared ? 'Chromium' : 'Firefox'} (NSS db ${db})`,
      command: install
        ? ['certutil', '-A', '-d', `sql:${db}`, '-t', 'C,,', '-n', ctx.nickname, '-i', ctx.paths.caCert]
        : ['certutil', '-D', '-d', `sql:${db}`, '-n', ctx.nickname],
      ...(install && shared ? { createDb: db } : {}),
    };
  });
}

/** The steps of `gw cert trust` (install) or `gw cert untrust`. */
export function trustPlan(ctx: TrustContext, install: boolean): TrustStep[] {
  const chosen = stores(ctx.env);
  return [
    ...(chosen.has('system') ? systemSteps(ctx, install) : []),
    ...(chosen.has('nss') ? nssSteps(ctx, install) : []),
  ];
}
