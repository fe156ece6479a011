// The generated documentation files and their contents, from the schema and catalogue given
// (generate.mjs and the staleness test both pass the ones in src/), formatted by Prettier with
// the repository's settings so that `npm run lint` accepts them as written.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { configJsonSchema, shippedJsonSchema } from './config-json-schema.mjs';
import { renderConfigReference } from './render-config-reference.mjs';
import { renderErrorReference } from './render-error-reference.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function docsOutputs({ configSchema, fieldTypes, errorCatalogue }) {
  const schema = configJsonSchema(configSchema, fieldTypes);
  const outputs = [
    { file: 'docs/config-reference.md', content: renderConfigReference(schema) },
    { file: 'docs/errors.md', content: renderErrorReference(errorCatalogue) },
    { file: 'gateway.config.schema.json', content: JSON.stringify(shippedJsonSchema(schema), null, 2) },
  ];
  return Promise.all(
    outputs.map(async ({ file, content }) => {
      const filepath = path.join(root, file);
      const options = (await prettier.resolveConfig(filepath)) ?? {};
      return { file, content: await prettier.format(content, { ...options, filepath }) };
    }),
  );
}
