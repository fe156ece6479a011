/**
 * OpenAPI 3.0 Schema Objects in the 3.1 dialect (plain JSON Schema 2020-12), so a 3.0 service's
 * operations can sit in the gateway's 3.1 document. The two differences that change meaning:
 * `nullable` is gone (null is a type), and `exclusiveMinimum`/`exclusiveMaximum` are numbers
 * instead of flags on `minimum`/`maximum`.
 * https://spec.openapis.org/oas/v3.1.0#schema-object and
 * https://www.openapis.org/blog/2021/02/16/migrating-from-openapi-3-0-to-3-1-0
 */

type Schema = Record<string, unknown>;

const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Keywords whose value is one schema. */
const single = ['items', 'not', 'additionalProperties', 'contains', 'if', 'then', 'else'] as const;
/** Keywords whose value is a list of schemas. */
const lists = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const;
/** Keywords whose value maps names to schemas. */
const maps = ['properties', 'patternProperties', '$defs'] as const;

export function schemaTo31(input: unknown): unknown {
  if (!isObject(input)) return input;
  const schema: Schema = { ...input };
  for (const key of single) if (isObject(schema[key])) schema[key] = schemaTo31(schema[key]);
  for (const key of lists) {
    const value = schema[key];
    if (Array.isArray(value)) schema[key] = value.map(schemaTo31);
  }
  for (const key of maps) {
    const value = schema[key];
    if (isObject(value))
      schema[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, schemaTo31(sub)]));
  }
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof schema[flag] !== 'boolean') continue;
    if (schema[flag] === true && typeof schema[bound] === 'number') {
      schema[flag] = schema[bound];
      delete schema[bound];
    } else delete schema[flag];
  }
  if (typeof schema.nullable !== 'boolean') return schema;
  const { nullable, ...rest } = schema;
  if (!nullable) return rest;
  if (Array.isArray(rest.enum) && !rest.enum.includes(null)) rest.enum = [...rest.enum, null];
  if (typeof rest.type === 'string') return { ...rest, type: [rest.type, 'null'] };
  if (Array.isArray(rest.type))
    return rest.type.includes('null') ? rest : { ...rest, type: [...rest.type, 'null'] };
  return { anyOf: [rest, { type: 'null' }] };
}

const mediaTypesTo31 = (content: unknown): unknown =>
  isObject(content)
    ? Object.fromEntries(
        Object.entries(content).map(([type, media]) => [
          type,
          isObject(media) ? { ...media, schema: schemaTo31(media.schema) } : media,
        ]),
      )
    : content;

const withSchema = (holder: unknown): unknown => {
  if (!isObject(holder)) return holder;
  const copy: Schema = { ...holder };
  if ('schema' in copy) copy.schema = schemaTo31(copy.schema);
  if ('content' in copy) copy.content = mediaTypesTo31(copy.content);
  return copy;
};

/** An operation's parameters, body, responses and response headers in the 3.1 dialect. */
export function operationTo31(operation: Schema): Schema {
  const copy: Schema = { ...operation };
  if (Array.isArray(copy.parameters)) copy.parameters = copy.parameters.map(withSchema);
  if (isObject(copy.requestBody)) copy.requestBody = withSchema(copy.requestBody);
  if (isObject(copy.responses)) {
    copy.responses = Object.fromEntries(
      Object.entries(copy.responses).map(([status, response]) => {
        if (!isObject(response)) return [status, response];
        const converted = withSchema(response) as Schema;
        if (isObject(converted.headers)) {
          converted.headers = Object.fromEntries(
            Object.entries(converted.headers).map(([name, header]) => [name, withSchema(header)]),
          );
        }
        return [status, converted];
      }),
    );
  }
  return copy;
}
