import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  build,
  type BuildFailure,
  type BuildOptions,
  type BuildResult,
  type Message,
  type Plugin,
} from 'esbuild';
import { isPackageStandIn, preloadPackages, sharedPackages } from './shared-packages.js';

/**
 * Bundles a TS or JS config with its local imports (a routes/ folder …) into one module, the way
 * Vite does; packages are not bundled. Why not an import hook such as tsx: Node's module cache
 * cannot be cleared, so a hook has to give every module a fresh URL on each load; tsx does that
 * for packages too (one more copy of every dependency per reload) and not at all for CommonJS
 * projects, where imported modules went stale. Bundling gives fresh local code, one shared copy
 * of each package, and the exact list of local files (esbuild's metafile).
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

export function isPackageFile(file: string): boolean {
  return file.split(path.sep).includes('node_modules');
}

/**
 * Declarations put before the first line of each local file. Kept on that line so that line
 * numbers stay those of the file; columns on line 1 are shifted by its length.
 */
export function fileScope(file: string): string {
  return (
    `const __gw_filename = ${JSON.stringify(file)}, __gw_dirname = ${JSON.stringify(path.dirname(file))}, ` +
    `__gw_url = ${JSON.stringify(pathToFileURL(file).href)};`
  );
}

const scopedFiles = /\.[cm]?[jt]sx?$/;

/** A 1-based column of `file` as bundled, given back as a column of the file as written. */
export function columnInFile(file: string, line: number, column: number): number {
  if (line !== 1 || !scopedFiles.test(file) || isPackageFile(file)) return column;
  return Math.max(1, column - fileScope(file).length);
}

/**
 * Keeps `import.meta.url`, `__dirname` and `__filename` pointing at each original file, and notes
 * every local file read, so that a failed build still says which files to watch.
 */
function originalFileScope(read: Set<string>): Plugin {
  return {
    name: 'gw-original-file-scope',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: scopedFiles }, async (args) => {
        if (isPackageFile(args.path)) return undefined;
        read.add(args.path);
        const loader = loaders[path.extname(args.path) as keyof typeof loaders] ?? 'js';
        return { contents: fileScope(args.path) + (await readFile(args.path, 'utf8')), loader };
      });
    },
  };
}

export interface ConfigBundle {
  /** 'cjs' runs as a function; 'esm' (top-level await, import.meta) has to be imported. */
  format: 'cjs' | 'esm';
  code: string;
  /**
   * CommonJS bundles only: the source map (JSON), read only to place an error thrown while the
   * config runs. It is not inlined: Node keeps a script's source for as long as any function
   * of it lives, and a map is as large as the code.
   */
  map: string | undefined;
  /** Absolute paths of every local file bundled, the config itself included. */
  dependencies: string[];
  /** How the config file itself exports: `module.exports` ('cjs') or `export default`. */
  entryFormat: 'cjs' | 'esm' | undefined;
  /** CommonJS bundles only: the namespaces of the packages the bundle imports, by index. */
  packages: object[];
}

export function isBuildFailure(error: unknown): error is BuildFailure {
  return error instanceof Error && Array.isArray((error as Partial<BuildFailure>).errors);
}

/**
 * What a CommonJS bundle cannot express: top-level await (an esbuild error) and `import.meta`
 * beyond url, filename and dirname (a warning; it would be empty). Such a config loads as an
 * ES module instead.
 */
function needsEsModule(messages: readonly Message[]): boolean {
  return messages.some(
    (message) => message.id === 'empty-import-meta' || /top-level await/i.test(message.text),
  );
}

function bundleOptions(file: string, format: 'cjs' | 'esm', plugins: Plugin[]) {
  const dir = path.dirname(file);
  return {
    entryPoints: [file],
    absWorkingDir: dir,
    // Never written: names the map's sources relative to the config's folder.
    outfile: path.join(dir, 'gateway.bundle.js'),
    bundle: true,
    write: false,
    platform: 'node',
    format,
    target: 'node20',
    packages: 'external',
    metafile: true,
    sourcemap: format === 'cjs' ? 'external' : 'inline',
    sourcesContent: false,
    logLevel: 'silent',
    define: {
      __filename: '__gw_filename',
      __dirname: '__gw_dirname',
      'import.meta.url': '__gw_url',
      'import.meta.filename': '__gw_filename',
      'import.meta.dirname': '__gw_dirname',
    },
    plugins,
  } satisfies BuildOptions;
}

function toBundle(
  file: string,
  format: 'cjs' | 'esm',
  result: BuildResult<{ write: false; metafile: true }>,
  packages: object[],
): ConfigBundle {
  const dir = path.dirname(file);
  const inputs = Object.entries(result.metafile.inputs)
    .filter(([input]) => !isPackageStandIn(input))
    .map(([input, meta]) => ({ file: path.resolve(dir, input), format: meta.format }));
  const outputOf = (suffix: string) =>
    result.outputFiles.find((output) => output.path.endsWith(suffix))?.text;
  return {
    format,
    code: outputOf('.js') ?? '',
    map: format === 'cjs' ? outputOf('.js.map') : undefined,
    dependencies: [...new Set([file, ...inputs.map((input) => input.file).filter((f) => !isPackageFile(f))])],
    entryFormat: inputs.find((input) => input.file === file)?.format,
    packages,
  };
}

/**
 * Bundles `file` twice. First as an ES module: its metafile orders the packages to import, and it
 * is the bundle to import when the config needs ES module semantics. Then as CommonJS, with the
 * packages in place (about 2 ms a build). Adds every local file read to `read`; throws esbuild's
 * BuildFailure on errors.
 */
export async function bundleConfig(file: string, read: Set<string>): Promise<ConfigBundle> {
  const esm = await build(bundleOptions(file, 'esm', [originalFileScope(read)]));
  const preloaded = await preloadPackages(esm.metafile, path.dirname(file), file);
  const packages: object[] = [];
  let cjs;
  try {
    cjs = await build(
      bundleOptions(file, 'cjs', [originalFileScope(read), sharedPackages(packages, preloaded)]),
    );
  } catch (error) {
    if (isBuildFailure(error) && needsEsModule(error.errors)) return toBundle(file, 'esm', esm, []);
    throw error;
  }
  if (needsEsModule(cjs.warnings)) return toBundle(file, 'esm', esm, []);
  return toBundle(file, 'cjs', cjs, packages);
}
