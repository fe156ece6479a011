import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The environment of a developer's terminal: no CI (gw dev would print plain lines). */
export function terminalEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  delete env.CI;
  delete env.CONTINUOUS_INTEGRATION;
  delete env.NO_COLOR;
  delete env.TMUX;
  return env;
}

export interface TestTerminal {
  /** The pane's text as it shows now. */
  screen(): Promise<string>;
  /** Types a key (tmux send-keys names: 'Enter', 'Escape', 'c' …). */
  press(key: string): Promise<unknown>;
  /** undefined while the command runs, then its exit code (128 + n when a signal n ended it). */
  exitCode(): Promise<number | undefined>;
}

/**
 * Runs `command` in a real pseudo-terminal: a tmux server of its own (-L, its socket in `cwd`,
 * which the caller removes afterwards), read with capture-pane and typed into with send-keys.
 * `cleanup` gets the call that kills that server (and only it).
 */
export async function startTerminal(
  command: string[],
  cwd: string,
  cleanup: Array<() => Promise<unknown>>,
  { columns = 120, rows = 40 }: { columns?: number; rows?: number } = {},
): Promise<TestTerminal> {
  const socket = `gw-e2e-${process.pid}-${Date.now()}`;
  const conf = path.join(cwd, 'tmux.conf');
  await writeFile(conf, 'set -g status off\n');
  // A shell around the command records its exit code: tmux's own pane_dead_status proved
  // unreliable here (the tmux server sometimes left the exited process unreaped).
  const exitFile = path.join(cwd, 'exit-code');
  const script = `"$0" "$@"; echo $? > '${exitFile}'`;
  const env = { ...terminalEnv(), TMUX_TMPDIR: cwd };
  const tmux = (...args: string[]) => run('tmux', ['-L', socket, '-f', conf, ...args], { env, cwd });
  const size = ['-x', String(columns), '-y', String(rows)];
  await tmux('new-session', '-d', '-s', 'gw', ...size, '-c', cwd, 'sh', '-c', script, ...command);
  cleanup.push(() => tmux('kill-server'));
  return {
    screen: async () => (await tmux('capture-pane', '-p', '-t', 'gw')).stdout,
    press: (key) => tmux('send-keys', '-t', 'gw', key),
    exitCode: async () => {
      const text = await readFile(exitFile, 'utf8').catch(() => '');
      return text.trim() === '' ? undefined : Number(text.trim());
    },
  };
}
