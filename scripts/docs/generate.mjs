#!/usr/bin/env node
// `npm run docs`: writes docs/config-reference.md, docs/errors.md and gateway.config.schema.json
// from the config schema and error catalogue in src/. `--check` writes nothing and exits 1 when a
// file differs from what it would write.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { docsOutputs } from './docs-outputs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The sources as they are now, bundled by esbuild (well under a second) rather than read from
 * dist/, which may be older. Packages stay external: zod keeps the descriptions in its own
 * registry, so the schema and toJSONSchema must share one copy of it.
 */
async function loadSources() {
  const outdir = path.join(root, 'node_modules', '.cache', 'gw-docs');
  await mkdir(outdir, { recursive: true });
  const outfile = path.join(outdir, `sources-${process.pid}.mjs`);
  await build({
    stdin: {
      contents: [
        "export { configSchema } from './src/config/schema.ts';",
        "export { duration, byteSize } from './src/config/fields.ts';",
        "export { errorCatalogue } from './src/errors.ts';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    jsx: 'automatic',
    outfile,
    logLevel: 'error',
  });
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    await rm(outfile, { force: true });
  }
}

const { configSchema, duration, byteSize, errorCatalogue } = await loadSources();
const check = process.argv.includes('--check');
const stale = [];
for (const { file, content } of await docsOutputs({
  configSchema,
  fieldTypes: { duration, size: byteSize },
  errorCatalogue,
})) {
  const target = path.join(root, file);
  const current = await readFile(target, 'utf8').catch(() => undefined);
  if (current === content) continue;
  if (check) stale.push(file);
  else {
    await writeFile(target, content);
    console.log(`wrote ${file}`);
  }
}
if (stale.length > 0) {
  console.error(
    `${stale.join(', ')} ${stale.length === 1 ? 'is' : 'are'} out of date: run \`npm run docs\` and commit the result.`,
  );
  process.exitCode = 1;
}
