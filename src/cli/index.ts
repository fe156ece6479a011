import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { formatCliError } from './print-error.js';

type RegisterCommand = (program: Command) => void;

/**
 * Each command's module, imported only when that command runs (all of them for help): each one
 * pulls in its own graph (routes: ajv, jose; check: yaml, protobufjs), and `gw --version` or
 * `gw dev` should not wait for the others' (issue 15: first start under 2 s).
 */
const commandModules: Record<string, () => Promise<RegisterCommand>> = {
  dev: () => import('./dev-command.js').then((m) => m.registerDevCommand),
  init: () => import('./init-command.js').then((m) => m.registerInitCommand),
  check: () => import('./check-command.js').then((m) => m.registerCheckCommand),
  routes: () => import('./routes-command.js').then((m) => m.registerRoutesCommand),
  keys: () => import('./keys-command.js').then((m) => m.registerKeysCommand),
  token: () => import('./token-command.js').then((m) => m.registerTokenCommand),
  cert: () => import('./cert-command.js').then((m) => m.registerCertCommand),
};

/** The commands `argv` needs: none for --version, the one named, or all (help, typos, no command). */
export async function loadCommands(argv: readonly string[]): Promise<RegisterCommand[]> {
  const first = argv[2];
  if (first === '--version' || first === '-V') return [];
  const names =
    first !== undefined && Object.hasOwn(commandModules, first) ? [first] : Object.keys(commandModules);
  return Promise.all(names.map((name) => commandModules[name]!()));
}

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

/** Builds the CLI with `commands`; no side effects until parsed. Each command is an adapter over the API. */
export function createCli(commands: readonly RegisterCommand[] = []): Command {
  const program = new Command('gw')
    .description('A local-development API gateway')
    .version(gwVersion())
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  try {
    await createCli(await loadCommands(argv)).parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(formatCliError(error) + '\n');
    process.exitCode = 1;
  }
}
