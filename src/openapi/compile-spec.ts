import { createRequire } from 'node:module';
import type { Ajv, ValidateFunction } from 'ajv';
import type * as Ajv2020Module from 'ajv/dist/2020.js';
import type * as AjvModule from 'ajv';
import type addFormatsModule from 'ajv-formats';
import { GatewayError } from '../errors.js';
import type { LoadedSpec } from './load-spec.js';

type Schema = Record<string, unknown>;
export type ParamLocation = 'path' | 'query' | 'header' | 'cookie';
const locations: readonly ParamLocation[] = ['path', 'query', 'header', 'cookie'];
const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** One operation of the spec with its validators, compiled once per config load. */
export interface CompiledOperation {
  readonly method: string;
  readonly template: string;
  readonly operation: Schema;
  /** Per location: validates an object of the raw values (strings, coerced to the schema's types). */
  readonly params: ReadonlyMap<ParamLocation, ValidateFunction>;
  /** Query parameters whose schema is an array (repeated keys keep every value). */
  readonly arrayQuery: ReadonlySet<string>;
  readonly body?: { required: boolean; types: readonly string[]; json?: ValidateFunction };
  /** Per listed status ('200', '4XX', 'default'): the JSON body's validator, when it has a schema. */
  readonly responses: ReadonlyMap<string, { json?: ValidateFunction }>;
}

export interface CompiledPath {
  readonly template: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly operations: ReadonlyMap<string, CompiledOperation>;
}

export interface CompiledSpec {
  readonly file: string;
  /** Concrete paths before templated ones, as OpenAPI says they match first. */
  readonly paths: readonly CompiledPath[];
}

export type OperationMatch =
  | { kind: 'found'; operation: CompiledOperation; pathParams: Record<string, string> }
  | { kind: 'no-path' }
  | { kind: 'no-method'; allow: readonly string[] };

const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// Required on first use, not imported: a config without OpenAPI specs should not wait for ajv's
// ~80 modules when `gw dev` starts (issue 15: first start under 2 s).
const require = createRequire(import.meta.url);

function createAjv(version: LoadedSpec['version'], coerce: boolean): Ajv {
  // strict: false — OpenAPI schemas carry keywords JSON Schema does not know (example, xml, discriminator).
  const options = { strict: false, allErrors: true, coerceTypes: coerce ? ('array' as const) : false };
  const ajv =
    version === '3.1'
      ? new (require('ajv/dist/2020.js') as typeof Ajv2020Module).Ajv2020(options)
      : new (require('ajv') as typeof AjvModule).Ajv(options);
  // ajv-formats is CommonJS with a default export: its callable sits on `.default`.
  (require('ajv-formats') as typeof addFormatsModule).default(ajv);
  return ajv;
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function compilePathPattern(template: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split(/(\{[^}/]+\})/)
    .map((part) => {
      const name = /^\{([^}/]+)\}$/.exec(part)?.[1];
      if (name === undefined) return escapeRegex(part);
      names.push(name);
      return '([^/]+)';
    })
    .join('');
  return { pattern: new RegExp(`^${source}/?$`), names };
}

/** Path-level parameters, overridden by the operation's own of the same name and location. */
function parametersOf(pathItem: Schema, operation: Schema): Schema[] {
  const byKey = new Map<string, Schema>();
  for (const list of [pathItem.parameters, operation.parameters]) {
    if (!Array.isArray(list)) continue;
    for (const param of list)
      if (isObject(param)) byKey.set(`${String(param.in)}:${String(param.name)}`, param);
  }
  return [...byKey.values()];
}

function isJsonMediaType(type: string): boolean {
  return /^application\/(.+\+)?json$/i.test(type.split(';')[0]!.trim());
}

function compileOperation(
  spec: LoadedSpec,
  ajvs: { plain: Ajv; coercing: Ajv },
  template: string,
  method: string,
  pathItem: Schema,
  operation: Schema,
): CompiledOperation {
  const params = new Map<ParamLocation, ValidateFunction>();
  const arrayQuery = new Set<string>();
  const compile = (ajv: Ajv, schema: Schema, where: string): ValidateFunction => {
    try {
      return ajv.compile(schema);
    } catch (error) {
      throw new GatewayError(
        'GW_OPENAPI_INVALID',
        `${spec.file}: the schema of ${method.toUpperCase()} ${template} ${where} does not compile: ${(error as Error).message}`,
        { file: spec.file },
      );
    }
  };
  const parameters = parametersOf(pathItem, operation);
  for (const location of locations) {
    const properties: Schema = {};
    const required: string[] = [];
    for (const param of parameters.filter((p) => p.in === location)) {
      // Header names are case-insensitive (RFC 9110 §5.1); Node hands them over lower-cased.
      const name = location === 'header' ? String(param.name).toLowerCase() : String(param.name);
      const schema = isObject(param.schema) ? param.schema : {};
      properties[name] = schema;
      if (param.required === true || location === 'path') required.push(name);
      if (location === 'query' && schema.type === 'array') arrayQuery.add(name);
    }
    if (Object.keys(properties).length === 0) continue;
    params.set(
      location,
      compile(ajvs.coercing, { type: 'object', properties, required }, `${location} parameters`),
    );
  }
  let body: CompiledOperation['body'];
  const requestBody = operation.requestBody;
  if (isObject(requestBody) && isObject(requestBody.content)) {
    const types = Object.keys(requestBody.content);
    const jsonType = types.find(isJsonMediaType);
    const media = jsonType === undefined ? undefined : requestBody.content[jsonType];
    const schema = isObject(media) && isObject(media.schema) ? media.schema : undefined;
    body = {
      required: requestBody.required === true,
      types,
      ...(schema === undefined ? {} : { json: compile(ajvs.plain, schema, 'request body') }),
    };
  }
  const responses = new Map<string, { json?: ValidateFunction }>();
  if (isObject(operation.responses)) {
    for (const [code, response] of Object.entries(operation.responses)) {
      const content = isObject(response) && isObject(response.content) ? response.content : {};
      const jsonType = Object.keys(content).find(isJsonMediaType);
      const media = jsonType === undefined ? undefined : content[jsonType];
      const schema = isObject(media) && isObject(media.schema) ? media.schema : undefined;
      responses.set(
        code.toUpperCase(),
        schema ? { json: compile(ajvs.plain, schema, `response ${code}`) } : {},
      );
    }
  }
  return {
    method: method.toUpperCase(),
    template,
    operation,
    params,
    arrayQuery,
    responses,
    ...(body ? { body } : {}),
  };
}

/** Compiles every operation of a loaded spec: path matchers and Ajv validators. */
export function compileSpec(spec: LoadedSpec): CompiledSpec {
  const ajvs = { plain: createAjv(spec.version, false), coercing: createAjv(spec.version, true) };
  const paths: CompiledPath[] = [];
  for (const [template, pathItem] of Object.entries(spec.document.paths as Schema)) {
    if (!isObject(pathItem)) continue;
    const operations = new Map<string, CompiledOperation>();
    for (const method of methods) {
      const operation = pathItem[method];
      if (isObject(operation)) {
        operations.set(
          method.toUpperCase(),
          compileOperation(spec, ajvs, template, method, pathItem, operation),
        );
      }
    }
    paths.push({ template, ...compilePathPattern(template), operations });
  }
  paths.sort((a, b) => a.names.length - b.names.length);
  return { file: spec.file, paths };
}

/** A malformed escape ('%E0%A4%A') stays as sent: the schema then judges the raw text. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Finds the operation for an upstream path and method, or says why there is none (404 or 405). */
export function matchOperation(spec: CompiledSpec, method: string, upstreamPath: string): OperationMatch {
  for (const entry of spec.paths) {
    const found = entry.pattern.exec(upstreamPath);
    if (!found) continue;
    const operation =
      entry.operations.get(method) ?? (method === 'HEAD' ? entry.operations.get('GET') : undefined);
    if (!operation) return { kind: 'no-method', allow: [...entry.operations.keys()] };
    const pathParams: Record<string, string> = {};
    entry.names.forEach((name, index) => {
      pathParams[name] = decodeSegment(found[index + 1]!);
    });
    return { kind: 'found', operation, pathParams };
  }
  return { kind: 'no-path' };
}

export { isJsonMediaType };
