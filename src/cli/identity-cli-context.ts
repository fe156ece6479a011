import path from 'node:path';
import { Chalk, type ChalkInstance } from 'chalk';
import type { Command } from 'commander';
import { isGatewayError } from '../errors.js';
import { defaultIdentityConfig, type IdentityConfig } from '../identity/identity-schema.js';
import { resolveStateDir } from '../state/state-dir.js';
import type { StateConfig } from '../state/state-schema.js';

/** What the keys and token commands need from their surroundings; tests pass their own. */
export interface IdentityCliDeps {
  stdout?: { write(text: string): unknown };
  stderr?: { write(text: string): unknown };
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface StateFlags {
  stateDir?: string;
  config?: string;
}

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  color: ChalkInstance;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export function createIo(deps: IdentityCliDeps): CliIo {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const env = deps.env ?? process.env;
  const tty = deps.stdout === undefined && process.stdout.isTTY;
  return {
    out: (line) => stdout.write(`${line}\n`),
    err: (line) => stderr.write(`${line}\n`),
    color: new Chalk({ level: tty && !env.NO_COLOR ? 1 : 0 }),
    cwd: deps.cwd ?? process.cwd(),
    env,
  };
}

/** Adds --state-dir and --config to a command (the program may define them too). */
export function withStateOptions(command: Command): Command {
  return command
    .option(
      '--state-dir <dir>',
      'where keys and token secrets live (default .gw/ beside the config; env GW_STATE_DIR)',
    )
    .option('-c, --config <file>', 'config file whose folder holds .gw/ (default: this folder)');
}

/** Flags of the command and of its parents (a program-level --config counts too). */
export function stateFlags(command: Command): StateFlags {
  return command.optsWithGlobals<StateFlags>();
}

/** --state-dir, else GW_STATE_DIR, else `.gw/` in the folder of --config, else in this folder. */
export function stateDirFor(flags: StateFlags, io: CliIo): string {
  const configDir = flags.config === undefined ? io.cwd : path.dirname(path.resolve(io.cwd, flags.config));
  const stateDir = flags.stateDir === undefined ? undefined : path.resolve(io.cwd, flags.stateDir);
  return resolveStateDir({ stateDir, configDir, env: io.env });
}

/**
 * The identity block of the config, when there is one (tokens must carry its issuer and
 * audience); the defaults when the folder has no config. A config that fails to load is an error
 * only when it was named with --config.
 */
export async function identityConfigFor(
  flags: StateFlags,
  io: CliIo,
): Promise<{ identity: IdentityConfig; stateDir: string; state?: StateConfig }> {
  const { loadConfig } = await import('../config/load-config.js');
  try {
    const loaded = await loadConfig({ file: flags.config, cwd: io.cwd });
    const stateDir = resolveStateDir({
      stateDir: flags.stateDir === undefined ? undefined : path.resolve(io.cwd, flags.stateDir),
      configDir: loaded.dir,
      env: io.env,
    });
    return { identity: loaded.config.identity, stateDir, state: loaded.config.state };
  } catch (error) {
    if (flags.config !== undefined || !(isGatewayError(error) && error.code === 'GW_CONFIG_NOT_FOUND'))
      throw error;
    return { identity: defaultIdentityConfig, stateDir: stateDirFor(flags, io) };
  }
}
