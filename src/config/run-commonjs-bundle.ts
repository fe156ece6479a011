import { SourceMap, type SourceMapPayload } from 'node:module';
import path from 'node:path';
import { columnInFile, type ConfigBundle } from './bundle-config.js';
import { packagesParameter } from './shared-packages.js';
import { createModule, nodeModulePaths } from './node-module.js';

/**
 * Runs a CommonJS config bundle as a function. Unlike an imported ES module, which Node keeps
 * for the life of the process, nothing holds the function once the config is dropped: the
 * previous config, its code and its closures are garbage-collected after a reload.
 */

// On the bundle's first line, so that its line numbers are those of the source map.
const prefix = `module.exports = function gatewayConfig(module, exports, ${packagesParameter}) {'use strict';`;

/**
 * The name the bundle runs under (stack traces show it). Never written: it sits beside the config
 * so that the bundle's `require()` and `import()` of packages resolve from the config's folder.
 */
export function bundleFileOf(file: string): string {
  return `${file}.bundle.cjs`;
}

/** What running a bundle gave: the config's export, or the error with its stack in original files. */
export type BundleOutcome =
  | { value: unknown }
  | {
      error: unknown;
      /** The error's stack, frames placed in the original files where known. */
      stack: string;
      /** The generated file's name, which means nothing to the user: to replace by the config's. */
      generatedFile: string;
    };

/** Evaluates the bundle; the value is the default export, or `module.exports` of a CommonJS config. */
export function runCommonJsBundle(file: string, bundle: ConfigBundle): BundleOutcome {
  const bundleFile = bundleFileOf(file);
  try {
    const compiled = createModule(bundleFile);
    compiled.filename = bundleFile;
    compiled.paths = nodeModulePaths(path.dirname(file));
    compiled._compile(`${prefix}${bundle.code}\n};`, bundleFile);
    const run = compiled.exports as (
      module: { exports: unknown },
      exports: unknown,
      packages: object[],
    ) => void;
    const target = { exports: {} as unknown };
    run(target, target.exports, bundle.packages);
    const exported = target.exports as { default?: unknown } | null;
    return { value: bundle.entryFormat === 'cjs' ? exported : exported?.default };
  } catch (error) {
    const stack = mapBundleStack(error instanceof Error ? (error.stack ?? '') : '', file, bundle.map);
    // The cause a user may print: the same frames, in their own files.
    if (error instanceof Error) error.stack = stack;
    return { error, stack, generatedFile: bundleFile };
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A stack trace with each frame of the bundle replaced by its place in the original file
 * (absolute path, line and column); frames the map does not cover are left as they are.
 */
export function mapBundleStack(stack: string, file: string, map: string | undefined): string {
  const bundleFile = bundleFileOf(file);
  if (map === undefined || !stack.includes(bundleFile)) return stack;
  const sourceMap = new SourceMap(JSON.parse(map) as SourceMapPayload);
  const dir = path.dirname(file);
  return stack.replace(
    new RegExp(`${escapeRegExp(bundleFile)}:(\\d+):(\\d+)`, 'g'),
    (frame, line, column) => {
      const lineNumber = Number(line);
      const columnNumber = lineNumber === 1 ? Number(column) - prefix.length : Number(column);
      const origin = sourceMap.findOrigin(lineNumber, columnNumber);
      if (!('fileName' in origin)) return frame;
      const original = path.resolve(dir, origin.fileName);
      return `${original}:${origin.lineNumber}:${columnInFile(original, origin.lineNumber, origin.columnNumber)}`;
    },
  );
}
