import path from 'node:path';
import type { BuildFailure, Location } from 'esbuild';
import { GatewayError } from '../errors.js';
import {
  bundleConfig,
  columnInFile,
  isBuildFailure,
  isPackageFile,
  type ConfigBundle,
} from './bundle-config.js';
import { withCodeFrame } from './code-frame.js';
import { importEsmBundle } from './import-esm-bundle.js';
import { runCommonJsBundle, type BundleOutcome } from './run-commonjs-bundle.js';

/**
 * Loads a TS or JS config: esbuild bundles it with its local imports (see bundle-config.ts), and
 * the bundle runs as a CommonJS function, so that a reload leaves nothing of the previous config
 * behind. A config that needs an ES module (top-level await, more of `import.meta` than its url,
 * filename and dirname) is imported as one.
 */

const filesOfFailures = new WeakMap<object, string[]>();

/** Remembers which local files a failed load read: fixing any of them should trigger a reload. */
export function rememberFiles<T extends object>(error: T, files: readonly string[]): T {
  filesOfFailures.set(error, [...new Set(files)]);
  return error;
}

/**
 * The local files a failed `loadConfig` got as far as reading (the config, a module with a syntax
 * error, …). A dev server adds them to what it watches, so that the fix reloads.
 */
export function filesOfFailedLoad(error: unknown): string[] {
  return error !== null && typeof error === 'object' ? (filesOfFailures.get(error) ?? []) : [];
}

/** file:line:column of an esbuild message, the column counted in characters of the file as written. */
function placeOf(location: Location, dir: string): string {
  const file = path.resolve(dir, location.file);
  // esbuild counts columns in bytes.
  const characters = Buffer.from(location.lineText).subarray(0, location.column).toString().length;
  return `${file}:${location.line}:${columnInFile(file, location.line, characters + 1)}`;
}

function describeBuildFailure(failure: BuildFailure, dir: string): string {
  return failure.errors
    .map((message) =>
      message.location ? withCodeFrame(`${placeOf(message.location, dir)}: ${message.text}`) : message.text,
    )
    .join('\n');
}

/** The first stack frame inside the user's own files, as file:line:column. */
function locateRuntimeError(stack: string, dir: string, generatedFile: string): string | undefined {
  for (const match of stack.matchAll(/(?:file:\/\/)?(\/[^\s():]+):(\d+):(\d+)/g)) {
    const file = match[1]!;
    if (file === generatedFile || isPackageFile(file) || !file.startsWith(dir)) continue;
    return `${file}:${match[2]}:${match[3]}`;
  }
  return undefined;
}

export interface ImportedConfigModule {
  /** The module's default export (or its module.exports). */
  value: unknown;
  /** Absolute paths of every local file bundled, the config itself included. */
  dependencies: string[];
}

async function bundle(file: string): Promise<ConfigBundle> {
  const read = new Set<string>([file]);
  try {
    return await bundleConfig(file, read);
  } catch (error) {
    const reason = isBuildFailure(error) ? describeBuildFailure(error, path.dirname(file)) : String(error);
    throw rememberFiles(
      new GatewayError('GW_CONFIG_LOAD_FAILED', `Could not load ${file}:\n${reason}`, { file, cause: error }),
      [...read],
    );
  }
}

export async function importConfigModule(file: string): Promise<ImportedConfigModule> {
  const bundled = await bundle(file);
  const outcome: BundleOutcome =
    bundled.format === 'cjs' ? runCommonJsBundle(file, bundled) : await importEsmBundle(file, bundled.code);
  if ('value' in outcome) return { value: outcome.value, dependencies: bundled.dependencies };
  const { error, stack, generatedFile } = outcome;
  const where = locateRuntimeError(stack, path.dirname(file), generatedFile);
  const reason = (error instanceof Error ? error.message : String(error)).replaceAll(generatedFile, file);
  throw rememberFiles(
    new GatewayError('GW_CONFIG_LOAD_FAILED', withCodeFrame(`Could not load ${where ?? file}: ${reason}`), {
      file,
      cause: error,
    }),
    bundled.dependencies,
  );
}
