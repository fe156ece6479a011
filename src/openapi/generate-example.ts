type Schema = Record<string, unknown>;

const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** FNV-1a: a stable number from a string, so the same path always gets the same generated values. */
export function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

function stringFor(schema: Schema, seed: number, name: string): string {
  const hex = seed.toString(16).padStart(8, '0');
  switch (schema.format) {
    case 'date-time':
      return new Date(Date.UTC(2024, 0, 1) + (seed % 365) * 86_400_000).toISOString();
    case 'date':
      return new Date(Date.UTC(2024, 0, 1) + (seed % 365) * 86_400_000).toISOString().slice(0, 10);
    case 'email':
      return `user${seed % 1000}@example.com`;
    case 'uuid':
      return `${hex}-${hex.slice(0, 4)}-4${hex.slice(1, 4)}-8${hex.slice(4, 7)}-${hex}${hex.slice(0, 4)}`;
    case 'uri':
    case 'url':
      return `https://example.com/${hex}`;
    default: {
      const text = `${name || 'string'}-${hex.slice(0, 4)}`;
      const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
      const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
      return text.padEnd(min, 'x').slice(0, max);
    }
  }
}

function numberFor(schema: Schema, seed: number, integer: boolean): number {
  const min = typeof schema.minimum === 'number' ? schema.minimum : 1;
  const max = typeof schema.maximum === 'number' ? schema.maximum : min + 999;
  const span = Math.max(0, Math.floor(max - min));
  return integer ? Math.ceil(min) + (seed % (span + 1)) : min + (seed % (span + 1)) / 2;
}

/**
 * A value that fits the schema, the same every time for the same seed (issue 16: "deterministic
 * per path so tests can rely on them"). Examples and defaults in the schema win over made-up values.
 */
export function generateExample(schema: unknown, seed: number, name = '', depth = 0): unknown {
  if (!isObject(schema) || depth > 12) return null;
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[seed % schema.enum.length];
  if (Array.isArray(schema.allOf)) {
    const parts = schema.allOf.map((part) => generateExample(part, seed, name, depth + 1));
    return parts.every(isObject) ? Object.assign({}, ...parts) : parts[0];
  }
  for (const key of ['oneOf', 'anyOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0)
      return generateExample(options[0], seed, name, depth + 1);
  }
  const declared = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  const type = declared ?? (isObject(schema.properties) ? 'object' : schema.items ? 'array' : undefined);
  const child = (key: string) => seedOf(`${seed}:${key}`);
  switch (type) {
    case 'object': {
      const result: Record<string, unknown> = {};
      const properties = isObject(schema.properties) ? schema.properties : {};
      for (const [key, sub] of Object.entries(properties)) {
        if (isObject(sub) && sub.writeOnly === true) continue;
        result[key] = generateExample(sub, child(key), key, depth + 1);
      }
      return result;
    }
    case 'array': {
      const count = Math.max(1, typeof schema.minItems === 'number' ? schema.minItems : 1);
      return Array.from({ length: count }, (_, i) =>
        generateExample(schema.items, child(String(i)), name, depth + 1),
      );
    }
    case 'string':
      return stringFor(schema, seed, name);
    case 'integer':
      return numberFor(schema, seed, true);
    case 'number':
      return numberFor(schema, seed, false);
    case 'boolean':
      return seed % 2 === 0;
    case 'null':
      return null;
    default:
      return {};
  }
}
