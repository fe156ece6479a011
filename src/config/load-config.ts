import { stat } from 'node:fs/promises';
import path from 'node:path';
import { cosmiconfig, type Loader } from 'cosmiconfig';
import { GatewayError, isGatewayError } from '../errors.js';
import { importConfigModule, rememberFiles } from './import-config-module.js';
import { guardConfigLoad } from './guard-config-load.js';

export { filesOfFailedLoad } from './import-config-module.js';
import { resolveConfig } from './resolve-config.js';
import type { ResolvedConfig } from './schema.js';
import { protoFilesOf } from '../protocols/grpc/proto/service-protos.js';
import { specFilesOf } from '../openapi/spec-files.js';

/** Where gw looks, in this order, in the folder it runs in (never above it). */
export const configFileNames = [
  'gateway.config.ts',
  'gateway.config.mts',
  'gateway.config.js',
  'gateway.config.mjs',
  'gateway.config.json',
  'gateway.config.yaml',
  'gateway.config.yml',
] as const;

export interface LoadConfigOptions {
  /** An explicit config file (`--config`); relative to `cwd`. */
  file?: string;
  /** The folder to search; defaults to process.cwd(). */
  cwd?: string;
}

export interface LoadedConfig {
  file: string;
  dir: string;
  /** Parsed, defaulted and deeply frozen. */
  config: ResolvedConfig;
  /** Absolute paths of every local file the config is made of, itself included (to watch). */
  dependencies: string[];
}

/** `export default cfg`, a CommonJS `module.exports`, a transpiled `{ default }`, or a (async) function. */
async function unwrapExport(value: unknown): Promise<unknown> {
  let config = value;
  while (
    config !== null &&
    typeof config === 'object' &&
    (config as { __esModule?: unknown }).__esModule &&
    'default' in config
  ) {
    config = (config as { default: unknown }).default;
  }
  return typeof config === 'function' ? await (config as () => unknown)() : config;
}

async function readRaw(
  file: string | undefined,
  cwd: string,
): Promise<{ file: string; raw: unknown; dependencies: string[] } | null> {
  let dependencies: string[] = [];
  const loadModule: Loader = async (filepath) => {
    const loaded = await importConfigModule(filepath);
    dependencies = loaded.dependencies;
    try {
      return await unwrapExport(loaded.value);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw rememberFiles(
        new GatewayError('GW_CONFIG_LOAD_FAILED', `The function exported by ${filepath} threw: ${reason}`, {
          file: filepath,
          cause: error,
        }),
        dependencies,
      );
    }
  };
  const explorer = cosmiconfig('gateway', {
    searchPlaces: [...configFileNames],
    searchStrategy: 'none',
    // Every load must read the files again: this runs on each save.
    cache: false,
    // An empty config file is a mistake to report, not a reason to keep searching.
    ignoreEmptySearchPlaces: false,
    loaders: {
      '.ts': loadModule,
      '.mts': loadModule,
      '.cts': loadModule,
      '.js': loadModule,
      '.mjs': loadModule,
      '.cjs': loadModule,
    },
  });
  const result = file ? await explorer.load(file) : await explorer.search(cwd);
  if (!result) return null;
  if (dependencies.length === 0) dependencies = [result.filepath];
  if (result.isEmpty) {
    const empty = new GatewayError('GW_CONFIG_INVALID', `${result.filepath} is empty`, {
      file: result.filepath,
      problems: [
        {
          path: '',
          message: 'the file is empty',
          hint: 'export default defineConfig({ services: { … }, routes: [ … ] })',
        },
      ],
    });
    throw rememberFiles(empty, [result.filepath]);
  }
  return { file: result.filepath, raw: result.config, dependencies };
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Finds, loads, validates and freezes the gateway config. Throws GatewayError with
 * GW_CONFIG_NOT_FOUND, GW_CONFIG_LOAD_FAILED (syntax, imports, a throwing config) or
 * GW_CONFIG_INVALID (every problem at once, each with its field path), GW_CONFIG_LOAD_TIMEOUT (it
 * never settled) or GW_CONFIG_EXIT (it called process.exit).
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const explicit = options.file === undefined ? undefined : path.resolve(cwd, options.file);
  if (explicit !== undefined && !(await exists(explicit))) {
    throw new GatewayError('GW_CONFIG_NOT_FOUND', `No config file at ${explicit}`, {
      file: explicit,
      hint: 'Check the --config path, or run `gw init` to write gateway.config.ts.',
    });
  }
  let loaded;
  try {
    // A config that never settles or calls process.exit fails its load; gw keeps running.
    loaded = await guardConfigLoad(explicit ?? cwd, () => readRaw(explicit, cwd));
  } catch (error) {
    if (isGatewayError(error)) throw error;
    const file = (error as { filepath?: string }).filepath ?? explicit ?? cwd;
    const reason = error instanceof Error ? error.message : String(error);
    throw rememberFiles(
      new GatewayError('GW_CONFIG_LOAD_FAILED', `Could not load ${file}: ${reason}`, { file, cause: error }),
      file === cwd ? [] : [file],
    );
  }
  if (!loaded) {
    throw new GatewayError(
      'GW_CONFIG_NOT_FOUND',
      `No gateway config in ${cwd} (looked for ${configFileNames.join(', ')})`,
    );
  }
  const { file, raw } = loaded;
  const dir = path.dirname(file);
  let dependencies = loaded.dependencies;
  try {
    const config = resolveConfig(raw, file);
    // A service's proto and OpenAPI files reload the config like its own files do.
    dependencies = [...dependencies, ...protoFilesOf(config, dir), ...specFilesOf(config, dir)];
    return { file, dir, config, dependencies };
  } catch (error) {
    if (raw !== null && typeof raw === 'object')
      dependencies = [...dependencies, ...protoFilesOf(raw, dir), ...specFilesOf(raw, dir)];
    throw error !== null && typeof error === 'object' ? rememberFiles(error, dependencies) : error;
  }
}
