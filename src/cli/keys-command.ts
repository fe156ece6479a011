import type { Command } from 'commander';
import { parseDuration } from '../config/fields.js';
import { GatewayError } from '../errors.js';
import type { ApiKeyRecord } from '../state/types.js';
import { formatTable, shortTime } from './format-table.js';
import {
  createIo,
  identityConfigFor,
  stateFlags,
  withStateOptions,
  type CliIo,
  type IdentityCliDeps,
} from './identity-cli-context.js';

interface CreateFlags {
  name: string;
  scopes?: string;
  expires?: string;
  tier?: string;
  json?: boolean;
}

async function openKeys(command: Command, io: CliIo) {
  // The config decides where keys live: the state folder, or the Redis its `state` block names.
  const { stateDir, state } = await identityConfigFor(stateFlags(command), io);
  const { openKeyStore } = await import('../state/create-state.js');
  return openKeyStore({ stateDir, state, watch: false });
}

/** '30d', '12h' from now, or an ISO date. */
function parseExpiry(text: string, now: number): Date {
  const ms = parseDuration(text);
  const at = ms === undefined ? Date.parse(text) : now + ms;
  if (!Number.isFinite(at) || at <= now) {
    throw new GatewayError(
      'GW_KEY_ARGUMENT',
      `--expires must be a duration like 30d or a future date, found '${text}'`,
    );
  }
  return new Date(at);
}

function splitList(text: string | undefined): string[] {
  return (text ?? '').split(/[\s,]+/).filter(Boolean);
}

function status(record: ApiKeyRecord, now: number): string {
  if (record.revokedAt) return 'revoked';
  if (record.expiresAt && Date.parse(record.expiresAt) <= now) return 'expired';
  return 'active';
}

/** `gw keys create|list|revoke`: API keys in the state folder, seen by a running gateway at once. */
export function registerKeysCommand(program: Command, deps: IdentityCliDeps = {}): void {
  const io = createIo(deps);
  const keys = program.command('keys').description('mint, list and revoke API keys');

  withStateOptions(keys.command('create'))
    .description('mint an API key (printed once, stored only as a hash)')
    .requiredOption('--name <name>', 'who the key is for (sent upstream as X-Client-ID)')
    .option('--scopes <scopes>', 'comma-separated scopes, e.g. users:read,orders:write')
    .option('--expires <when>', 'lifetime like 30d, or a date')
    .option('--tier <tier>', 'rate-limit tier (see rateLimit.tiers)')
    .option('--json', 'print JSON')
    .action(async (flags: CreateFlags, command: Command) => {
      const expiresAt = flags.expires === undefined ? undefined : parseExpiry(flags.expires, Date.now());
      if (flags.name.trim() === '') throw new GatewayError('GW_KEY_ARGUMENT', '--name is empty');
      const store = await openKeys(command, io);
      const { key, record } = await store.create({
        name: flags.name.trim(),
        scopes: splitList(flags.scopes),
        ...(expiresAt ? { expiresAt } : {}),
        ...(flags.tier ? { tier: flags.tier } : {}),
      });
      await store.close();
      if (flags.json) {
        const { hash: _hash, ...shown } = record;
        io.out(JSON.stringify({ ...shown, key }, null, 2));
        return;
      }
      io.out(`${io.color.green('✔')} Created ${record.id} (${record.name})`);
      io.out(`  ${io.color.bold(key)}`);
      io.out(io.color.dim('  Store it now: it is shown only this once. Send it as X-API-Key.'));
    });

  withStateOptions(keys.command('list'))
    .description('list keys: id, name, scopes, created, expires, last used, status')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const store = await openKeys(command, io);
      const records = await store.list();
      await store.close();
      const now = Date.now();
      if (flags.json) {
        io.out(
          JSON.stringify(
            records.map(({ hash: _hash, ...shown }) => ({
              ...shown,
              status: status(shown as ApiKeyRecord, now),
            })),
            null,
            2,
          ),
        );
        return;
      }
      if (records.length === 0) {
        io.out('No keys yet. Mint one with `gw keys create --name <name>`.');
        return;
      }
      const rows = records.map((r) => [
        r.id,
        r.name,
        r.scopes.join(','),
        r.tier ?? '',
        shortTime(r.createdAt),
        shortTime(r.expiresAt),
        shortTime(r.lastUsedAt),
        status(r, now),
      ]);
      io.out(
        formatTable(
          io.color,
          ['ID', 'NAME', 'SCOPES', 'TIER', 'CREATED', 'EXPIRES', 'LAST USED', 'STATUS'],
          rows,
        ),
      );
    });

  withStateOptions(keys.command('revoke'))
    .description('revoke a key; a running gateway refuses it within a second')
    .argument('<id>', 'the key id (see `gw keys list`)')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { json?: boolean }, command: Command) => {
      const store = await openKeys(command, io);
      try {
        const startedAt = Date.now();
        const { hash: _hash, ...record } = await store.revoke(id);
        // The store hands back the earlier revocation as it was: say so instead of a second ✔.
        const already = record.revokedAt !== undefined && Date.parse(record.revokedAt) < startedAt;
        if (flags.json) io.out(JSON.stringify({ ...record, alreadyRevoked: already }, null, 2));
        else if (already)
          io.out(
            `${io.color.yellow('!')} ${record.id} (${record.name}) was already revoked at ${record.revokedAt}; nothing changed`,
          );
        else io.out(`${io.color.green('✔')} Revoked ${record.id} (${record.name})`);
      } finally {
        await store.close();
      }
    });
}
