import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { GatewayError } from '../errors.js';

/** A JSON value as read from a spec file. */
type Json = unknown;

/** An OpenAPI document with every local `$ref` replaced by what it points at. */
export interface LoadedSpec {
  /** Absolute path of the entry file. */
  readonly file: string;
  /** '3.0' or '3.1': picks the JSON Schema dialect the validators compile with. */
  readonly version: '3.0' | '3.1';
  readonly document: Readonly<Record<string, unknown>>;
}

function specError(file: string, message: string, hint?: string): GatewayError {
  return new GatewayError('GW_OPENAPI_INVALID', `${file}: ${message}`, {
    file,
    ...(hint === undefined ? {} : { hint }),
  });
}

function isObject(value: Json): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads one spec file: YAML is a superset of JSON, so one parser reads both. */
function readDocument(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw specError(
      file,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      'Check the path; it is relative to the config file.',
    );
  }
  try {
    return parseYaml(text, { maxAliasCount: 100 }) as Json;
  } catch (error) {
    throw specError(file, `is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** RFC 6901 JSON Pointer lookup (`#/components/schemas/User`, with ~0 and ~1 escapes). */
function resolvePointer(document: Json, pointer: string): Json {
  if (pointer === '' || pointer === '/') return document;
  let node = document;
  for (const raw of pointer.replace(/^\//, '').split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isObject(node)) node = node[key];
    else return undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

/**
 * Loads an OpenAPI 3.0 or 3.1 document and inlines its `$ref`s, local ones and those into other
 * files beside it (`./schemas.yaml#/User`). Synchronous on purpose: specs load while the gateway
 * is built, once per config load. A reference back into itself (a recursive schema) becomes `{}`
 * (anything) at the point where it recurses, so validators and mocks stay finite.
 */
export function loadSpec(configDir: string, specPath: string): LoadedSpec {
  const entry = path.resolve(configDir, specPath);
  const files = new Map<string, Json>();
  const documentOf = (file: string): Json => {
    if (!files.has(file)) files.set(file, readDocument(file));
    return files.get(file);
  };

  const inline = (node: Json, file: string, stack: readonly string[]): Json => {
    if (Array.isArray(node)) return node.map((item) => inline(item, file, stack));
    if (!isObject(node)) return node;
    const ref = node.$ref;
    if (typeof ref === 'string') {
      const [filePart = '', pointer = ''] = ref.split('#', 2);
      if (/^[a-z][a-z0-9+.-]*:/i.test(filePart)) {
        throw specError(
          file,
          `$ref '${ref}' points outside the local files`,
          'gw resolves local $refs only: copy the schema next to the spec.',
        );
      }
      const target = filePart === '' ? file : path.resolve(path.dirname(file), filePart);
      const key = `${target}#${pointer}`;
      if (stack.includes(key)) return {};
      const resolved = resolvePointer(documentOf(target), pointer);
      if (resolved === undefined) {
        throw specError(
          file,
          `$ref '${ref}' points at nothing`,
          `Check that ${path.basename(target)} has ${pointer || 'a document'}.`,
        );
      }
      const { $ref: _ref, ...siblings } = node;
      const inlined = inline(resolved, target, [...stack, key]);
      return Object.keys(siblings).length > 0 && isObject(inlined) ? { ...inlined, ...siblings } : inlined;
    }
    const copy: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(node)) copy[name] = inline(value, file, stack);
    return copy;
  };

  const raw = documentOf(entry);
  if (!isObject(raw)) throw specError(entry, 'is not an OpenAPI document (expected a mapping at the top)');
  const declared = typeof raw.openapi === 'string' ? raw.openapi : '';
  const version = declared.startsWith('3.0') ? '3.0' : declared.startsWith('3.1') ? '3.1' : undefined;
  if (version === undefined) {
    throw specError(
      entry,
      `says openapi: '${declared || String(raw.swagger ?? '')}', not 3.0.x or 3.1.x`,
      'Convert Swagger 2.0 specs to OpenAPI 3 (e.g. with swagger2openapi).',
    );
  }
  if (!isObject(raw.paths)) throw specError(entry, 'has no `paths`');
  const document = inline(raw, entry, []);
  return { file: entry, version, document: document as Record<string, unknown> };
}
