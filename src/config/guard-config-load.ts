import { AsyncLocalStorage } from 'node:async_hooks';
import { GatewayError } from '../errors.js';
import { filesOfFailedLoad, rememberFiles } from './import-config-module.js';

/**
 * A config is code that runs inside the gateway's process on every save, so two of its mistakes
 * must not take the gateway with it (issue 12 item 9): a promise that never settles (an exported
 * async function, a top-level await) would hold the serial reloader for good, and a
 * `process.exit()` would end the process. The load gets a deadline, and `process.exit` called
 * from code the config runs while it loads (its async continuations and timers included, followed
 * with AsyncLocalStorage) fails the load instead of exiting. Elsewhere `process.exit` is untouched.
 */

export const DEFAULT_CONFIG_LOAD_TIMEOUT_MS = 10_000;

interface LoadScope {
  file: string;
  settled: boolean;
  exitCode: string | number | null | undefined;
  exitCalled: boolean;
}

const loads = new AsyncLocalStorage<LoadScope>();

/** Thrown out of `process.exit` inside a config, so the config's code stops where it called it. */
class ConfigExitCalled extends Error {
  constructor() {
    super('process.exit was called while the config loaded');
  }
}

let guardInstalled = false;
function installExitGuard(): void {
  if (guardInstalled) return;
  guardInstalled = true;
  const exit = process.exit.bind(process);
  process.exit = function exitUnlessInConfig(code?: string | number | null) {
    const load = loads.getStore();
    if (load === undefined) return exit(code);
    load.exitCalled = true;
    load.exitCode = code;
    // A timer the config left behind fires after its load ended: nobody could catch a throw.
    if (load.settled) {
      process.emitWarning(`${load.file} called process.exit after it loaded; gw ignored it`);
      return undefined as never;
    }
    throw new ConfigExitCalled();
  } as typeof process.exit;
}

/** The load deadline: GW_CONFIG_LOAD_TIMEOUT_MS when set to a positive number, else 10 s. */
export function configLoadTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = Number(env.GW_CONFIG_LOAD_TIMEOUT_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_CONFIG_LOAD_TIMEOUT_MS;
}

/** Runs `load` (bundle, evaluate, call the exported function) under the deadline and the exit guard. */
export async function guardConfigLoad<T>(
  file: string,
  load: () => Promise<T>,
  timeoutMs = configLoadTimeoutMs(),
): Promise<T> {
  installExitGuard();
  const scope: LoadScope = { file, settled: false, exitCode: undefined, exitCalled: false };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new GatewayError(
        'GW_CONFIG_LOAD_TIMEOUT',
        `${file} did not finish loading within ${timeoutMs} ms (a promise in it never settles?)`,
        { file },
      );
      reject(rememberFiles(error, [file]));
    }, timeoutMs);
  });
  try {
    const value = await Promise.race([loads.run(scope, load), deadline]);
    if (scope.exitCalled) throw exitError(scope, []);
    return value;
  } catch (error) {
    throw scope.exitCalled ? exitError(scope, filesOfFailedLoad(error)) : error;
  } finally {
    scope.settled = true;
    clearTimeout(timer);
    // An enabled AsyncLocalStorage turns on Node's promise hooks for the whole process: every
    // request would pay for them (tens of µs on the bench). Off between loads; a timer the config
    // leaves behind then runs outside the guard.
    loads.disable();
  }
}

function exitError(scope: LoadScope, files: string[]): GatewayError {
  const code = scope.exitCode === undefined ? '' : String(scope.exitCode);
  return rememberFiles(
    new GatewayError(
      'GW_CONFIG_EXIT',
      `${scope.file} called process.exit(${code}) while it loaded; gw kept running`,
      { file: scope.file },
    ),
    files.length > 0 ? files : [scope.file],
  );
}
