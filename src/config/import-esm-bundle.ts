import { randomBytes } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { BundleOutcome } from './run-commonjs-bundle.js';

/**
 * The way for configs that need ES module semantics (top-level await): Node imports the bundle
 * from a temporary file beside the config, so that its packages resolve from the same
 * node_modules. Node never frees an imported module, so each load of such a config stays in
 * memory; the CommonJS way is taken whenever it can express the config.
 */
export async function importEsmBundle(file: string, code: string): Promise<BundleOutcome> {
  const tempFile = `${file}.timestamp-${Date.now()}-${randomBytes(4).toString('hex')}.mjs`;
  await writeFile(tempFile, code);
  // Source maps only while importing: the error's stack then names the original file and line.
  const sourceMaps = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(true);
  try {
    const mod = (await import(pathToFileURL(tempFile).href)) as { default?: unknown };
    return { value: mod.default };
  } catch (error) {
    // Read while source maps are on: V8 formats the stack when it is first read.
    return { error, stack: error instanceof Error ? (error.stack ?? '') : '', generatedFile: tempFile };
  } finally {
    process.setSourceMapsEnabled(sourceMaps);
    await unlink(tempFile).catch(() => undefined);
  }
}
