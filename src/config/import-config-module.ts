import { randomBytes } from 'node:crypto';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildFailure, type Plugin } from 'esbuild';
import { GatewayError } from '../errors.js';

/**
 * Loads a TS or JS config the way Vite does: esbuild bundles the config with its local imports
 * (a routes/ folder …) into one ES module, packages stay external, and Node imports the result
 * from a temporary file beside the config. Why not an import hook such as tsx: Node's module
 * cache cannot be cleared, so a hook has to give every module a fresh URL on each load; tsx
 * does that for packages too (one more copy of every dependency per reload) and not at all for
 * CommonJS projects, where imported modules went stale. Bundling gives fresh local code, one
 * shared copy of each package, and the exact list of local files (esbuild's metafile).
 */

const loaders = {
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.jsx': 'jsx',
} as const;

function isPackageFile(file: string): boolean {
  return file.split(path.sep).includes('node_modules');
}

/**
 * Keeps `import.meta.url`, `__dirname` and `__filename` pointing at each original file, and notes
 * every local file read, so that a failed build still says which files to watch.
 */
function originalFileScope(read: Set<string>): Plugin {
  return {
    name: 'gw-original-file-scope',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        if (isPackageFile(args.path)) return undefined;
        read.add(args.path);
        const loader = loaders[path.extname(args.path) as keyof typeof loaders] ?? 'js';
        const scope =
          `const __gw_filename = ${JSON.stringify(args.path)}, __gw_dirname = ${JSON.stringify(path.dirname(args.path))}, ` +
          `__gw_url = ${JSON.stringify(pathToFileURL(args.path).href)};`;
        // Kept on the first line so that reported line numbers stay those of the file.
        return { contents: scope + (await readFile(args.path, 'utf8')), loader };
      });
    },
  };
}

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

function isBuildFailure(error: unknown): error is BuildFailure {
  return error instanceof Error && Array.isArray((error as Partial<BuildFailure>).errors);
}

function describeBuildFailure(failure: BuildFailure, dir: string): string {
  return failure.errors
    .map((message) => {
      const where = message.location
        ? `${path.resolve(dir, message.location.file)}:${message.location.line}:${message.location.column + 1}`
        : '';
      return where ? `${where}: ${message.text}` : message.text;
    })
    .join('\n');
}

/** The first stack frame inside the user's own files, as file:line:column. */
function locateRuntimeError(error: unknown, dir: string, tempFile: string): string | undefined {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  for (const match of stack.matchAll(/(?:file:\/\/)?(\/[^\s():]+):(\d+):(\d+)/g)) {
    const file = match[1]!;
    if (file === tempFile || isPackageFile(file) || !file.startsWith(dir)) continue;
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

async function evaluate(
  file: string,
  code: string,
  dependencies: string[],
): Promise<Record<string, unknown>> {
  const dir = path.dirname(file);
  // Beside the config so that its packages resolve from the same node_modules.
  const tempFile = `${file}.timestamp-${Date.now()}-${randomBytes(4).toString('hex')}.mjs`;
  await writeFile(tempFile, code);
  // Source maps only while importing: the error's stack then names the original file and line.
  const sourceMaps = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(true);
  try {
    return (await import(pathToFileURL(tempFile).href)) as Record<string, unknown>;
  } catch (error) {
    const where = locateRuntimeError(error, dir, tempFile);
    const reason = (error instanceof Error ? error.message : String(error)).replaceAll(tempFile, file);
    throw rememberFiles(
      new GatewayError('GW_CONFIG_LOAD_FAILED', `Could not load ${where ?? file}: ${reason}`, {
        file,
        cause: error,
      }),
      dependencies,
    );
  } finally {
    process.setSourceMapsEnabled(sourceMaps);
    await unlink(tempFile).catch(() => undefined);
  }
}

export async function importConfigModule(file: string): Promise<ImportedConfigModule> {
  const dir = path.dirname(file);
  const read = new Set<string>([file]);
  let result;
  try {
    result = await build({
      entryPoints: [file],
      absWorkingDir: dir,
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      metafile: true,
      sourcemap: 'inline',
      logLevel: 'silent',
      define: {
        __filename: '__gw_filename',
        __dirname: '__gw_dirname',
        'import.meta.url': '__gw_url',
        'import.meta.filename': '__gw_filename',
        'import.meta.dirname': '__gw_dirname',
      },
      plugins: [originalFileScope(read)],
    });
  } catch (error) {
    const reason = isBuildFailure(error) ? describeBuildFailure(error, dir) : String(error);
    throw rememberFiles(
      new GatewayError('GW_CONFIG_LOAD_FAILED', `Could not load ${file}:\n${reason}`, { file, cause: error }),
      [...read],
    );
  }
  const dependencies = [
    ...new Set([
      file,
      ...Object.keys(result.metafile.inputs)
        .map((input) => path.resolve(dir, input))
        .filter((input) => !isPackageFile(input)),
    ]),
  ];
  const mod = await evaluate(file, result.outputFiles[0]!.text, dependencies);
  return { value: mod.default, dependencies };
}
