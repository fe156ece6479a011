import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { docsOutputs } from '../../scripts/docs/docs-outputs.mjs';
import { configSchema } from '../../src/config/schema.js';
import { byteSize, duration } from '../../src/config/fields.js';
import { errorCatalogue } from '../../src/errors.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const outputs = await docsOutputs({ configSchema, fieldTypes: { duration, size: byteSize }, errorCatalogue });

describe('generated docs', () => {
  it.each(outputs.map((output) => [output.file, output]))(
    '%s is what `npm run docs` writes from the current schema and catalogue',
    async (file, { content }) => {
      const current = await readFile(path.join(root, file), 'utf8').catch(() => '(missing)');
      expect(current === content, `${file} is out of date: run \`npm run docs\` and commit it`).toBe(true);
    },
  );

  it('the config reference has a row for every key of every route, service and top-level object', () => {
    const reference = outputs.find((output) => output.file === 'docs/config-reference.md')!.content;
    const keys = [
      ...Object.keys(configSchema.shape),
      ...Object.keys(configSchema.shape.routes.unwrap().element.shape),
      ...Object.keys(configSchema.shape.services.unwrap().valueType.shape),
    ];
    const missing = keys.filter((key) => !reference.includes(`| \`${key}\``));
    expect(missing).toEqual([]);
  });

  it('docs/errors.md lists every code of the catalogue with its status', async () => {
    const reference = await readFile(path.join(root, 'docs/errors.md'), 'utf8');
    const missing = Object.entries(errorCatalogue)
      .filter(
        ([code, entry]) => !new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${entry.status}\\s*\\|`).test(reference),
      )
      .map(([code]) => code);
    expect(missing, 'run `npm run docs`').toEqual([]);
  });

  it('the shipped JSON Schema describes the same top-level keys and keeps TS-only values out of JSON', async () => {
    const schema = JSON.parse(
      outputs.find((output) => output.file === 'gateway.config.schema.json')!.content,
    );
    expect(Object.keys(schema.properties)).toEqual(Object.keys(configSchema.shape));
    expect(schema.additionalProperties).toBe(false);
    // `use` takes only functions, which a JSON or YAML config cannot hold.
    expect(schema.properties.routes.items.properties.use.items).toEqual({ not: {} });
    expect(JSON.stringify(schema)).not.toContain('x-gw-');
    const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {
      files: string[];
    };
    expect(manifest.files, 'the package ships the schema').toContain('gateway.config.schema.json');
  });
});
