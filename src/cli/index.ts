import { Command, CommanderError } from 'commander';
import { formatCliError } from './print-error.js';
import { registerDevCommand } from './dev-command.js';
import { registerInitCommand } from './init-command.js';
import { registerCheckCommand } from './check-command.js';
import { registerRoutesCommand } from './routes-command.js';
import { registerKeysCommand } from './keys-command.js';
import { registerTokenCommand } from './token-command.js';

/** Builds the CLI; no side effects until parsed. Each command is an adapter over the API. */
export function createCli(): Command {
  const program = new Command('gw')
    .description('A local-development API gateway')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerDevCommand(program);
  registerInitCommand(program);
  registerCheckCommand(program);
  registerRoutesCommand(program);
  registerKeysCommand(program);
  registerTokenCommand(program);
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
