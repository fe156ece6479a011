import { Command } from 'commander';
import { registerKeysCommand } from '../../src/cli/keys-command.js';
import { registerTokenCommand } from '../../src/cli/token-command.js';

/** Runs `gw keys …` / `gw token …` in-process against a folder, capturing what they print. */
export async function runIdentityCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  let stdout = '';
  let stderr = '';
  const deps = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    cwd: options.cwd,
    env: options.env ?? {},
  };
  const program = new Command('gw')
    .exitOverride()
    .configureOutput({ writeOut: (t) => (stdout += t), writeErr: (t) => (stderr += t) });
  registerKeysCommand(program, deps);
  registerTokenCommand(program, deps);
  let error: unknown;
  try {
    await program.parseAsync(['node', 'gw', ...args]);
  } catch (caught) {
    error = caught;
  }
  return { stdout, stderr, error };
}
