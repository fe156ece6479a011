import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { formatCliError } from './print-error.js';
import { registerDevCommand } from './dev-command.js';
import { registerInitCommand } from './init-command.js';
import { registerCheckCommand } from './check-command.js';
import { registerRoutesCommand } from './routes-command.js';
import { registerKeysCommand } from './keys-command.js';
import { registerTokenCommand } from './token-command.js';
import { registerCertCommand } from './cert-command.js';

/**
 * gw's own version, from its package.json (two folders above src/cli/ and dist/cli/). Not
 * npm_package_version: under `npm run` or `npx` in a user's project that is the project's version.
 */
export function gwVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const version =
    typeof manifest === 'object' && manifest !== null && 'version' in manifest ? manifest.version : '';
  return typeof version === 'string' ? version : '';
}

/** Builds the CLI; no side effects until parsed. Each command is an adapter over the API. */
export function createCli(): Command {
  const program = new Command('gw')
    .description('A local-development API gateway')
    .version(gwVersion())
    .showHelpAfterError()
    .exitOverride();
  registerDevCommand(program);
  registerInitCommand(program);
  registerCheckCommand(program);
  registerRoutesCommand(program);
  registerKeysCommand(program);
  registerTokenCommand(program);
  registerCertCommand(program);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  try {
    await createCli().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(formatCliError(error) + '\n');
    process.exitCode = 1;
  }
}
