import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../../src/config/schema.ts', import.meta.url));

/**
 * Everything loading the config schema loads, as esbuild resolves it: the packages it imports
 * (left external, as Node would load them) and our own files. Type-only imports are erased, as
 * tsc erases them, so only what runs is listed.
 */
async function schemaImports(): Promise<{ packages: string[]; files: string[] }> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  const packages = output.imports.filter((i) => i.external).map((i) => i.path);
  const files = Object.keys(result.metafile.inputs);
  return { packages: [...new Set(packages)].sort(), files };
}

describe('the config schema', () => {
  it('loads zod and no policy runtime: not jose, ioredis, prom-client or any other package', async () => {
    const { packages } = await schemaImports();
    expect(packages).toEqual(['zod']);
  });

  it('imports only schema leaves and field types of ours, never a middleware or store', async () => {
    const { files } = await schemaImports();
    const ours = files.filter((file) => file.startsWith('src/')).sort();
    const runtime = ours.filter(
      (file) =>
        !/-schema\.ts$/.test(file) && !['src/config/schema.ts', 'src/config/fields.ts'].includes(file),
    );
    expect(runtime).toEqual([]);
  });
});
