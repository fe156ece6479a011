import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Yaml from 'yaml';
import { GatewayError, type ConfigProblem } from '../errors.js';

/** A JSON value as read from a spec file. */
type Json = unknown;

/** An OpenAPI document with every local `$ref` replaced by what it points at. */
export interface LoadedSpec {
  /** Absolute path of the entry file. */
  readonly file: string;
  /** '3.0' or '3.1': picks the JSON Schema dialect the validators compile with. */
  readonly version: '3.0' | '3.1';
  readonly document: Readonly<Record<string, unknown>>;
  /** Every file it was read from: the entry and the files its `$ref`s point into. */
  readonly files: readonly string[];
}

/** One thing wrong with a spec: where (`file:line:col`, or the file) and what. */
export interface SpecProblem {
  readonly where: string;
  readonly file: string;
  readonly message: string;
  readonly hint?: string;
}

/** What reading a spec found: the spec when nothing was wrong, every problem, every file it read. */
export interface SpecLoad {
  readonly spec: LoadedSpec | undefined;
  readonly problems: readonly SpecProblem[];
  /** The files it read or tried to read (missing ones included), to watch for changes. */
  readonly files: readonly string[];
}

interface ReadFile {
  readonly value: Json;
  /** `file:line:col` of the node at a path of keys, else the file. */
  where(at: readonly (string | number)[]): string;
}

function isObject(value: Json): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Required on first use, not imported: a config without OpenAPI specs should not wait for the YAML
// parser's ~70 modules when `gw dev` starts (issue 15: first start under 2 s).
const require = createRequire(import.meta.url);
let yaml: typeof Yaml | undefined;
const yamlParser = (): typeof Yaml => (yaml ??= require('yaml') as typeof Yaml);

/** Reads one spec file: YAML is a superset of JSON, so one parser reads both (and says where). */
function readDocument(file: string, problems: SpecProblem[]): ReadFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    problems.push({
      where: file,
      file,
      message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      hint: 'Check the path; it is relative to the config file.',
    });
    return undefined;
  }
  const { LineCounter, parseDocument } = yamlParser();
  const lines = new LineCounter();
  const document: Yaml.Document = parseDocument(text, { lineCounter: lines });
  const [error] = document.errors;
  if (error) {
    const at = error.linePos?.[0];
    problems.push({
      where: at ? `${file}:${at.line}:${at.col}` : file,
      file,
      message: `is not valid YAML or JSON: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
    });
    return undefined;
  }
  let value: Json;
  try {
    value = document.toJS({ maxAliasCount: 100 }) as Json;
  } catch (failure) {
    problems.push({ where: file, file, message: `is not valid YAML or JSON: ${(failure as Error).message}` });
    return undefined;
  }
  return {
    value,
    where(at) {
      const node = document.getIn(at, true) as { range?: [number, number, number] } | undefined;
      const offset = node?.range?.[0];
      if (offset === undefined) return file;
      const { line, col } = lines.linePos(offset);
      return `${file}:${line}:${col}`;
    },
  };
}

/** RFC 6901 JSON Pointer lookup (`#/components/schemas/User`, with ~0 and ~1 escapes). */
function pointerKeys(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((raw) => decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~'));
}

function resolvePointer(document: Json, keys: readonly string[]): Json {
  let node = document;
  for (const key of keys) {
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isObject(node)) node = node[key];
    else return undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

/** `#/paths/~1pet/get`: a JSON Pointer to where a node sits. */
const pointerOf = (at: readonly (string | number)[]) =>
  '#' + at.map((key) => '/' + String(key).replace(/~/g, '~0').replace(/\//g, '~1')).join('');

/**
 * Reads an OpenAPI 3.0 or 3.1 document and inlines its `$ref`s, local ones and those into other
 * files beside it (`./schemas.yaml#/User`), collecting every problem instead of stopping at the
 * first (`gw check` lists them all). A reference back into itself (a recursive schema) becomes
 * `{}` (anything) at the point where it recurses, so validators and mocks stay finite.
 */
export function readSpec(configDir: string, specPath: string): SpecLoad {
  const entry = path.resolve(configDir, specPath);
  const files = new Map<string, ReadFile | undefined>();
  const problems: SpecProblem[] = [];
  const documentOf = (file: string): ReadFile | undefined => {
    if (!files.has(file)) files.set(file, readDocument(file, problems));
    return files.get(file);
  };

  const inline = (node: Json, file: string, at: (string | number)[], stack: readonly string[]): Json => {
    if (Array.isArray(node)) return node.map((item, index) => inline(item, file, [...at, index], stack));
    if (!isObject(node)) return node;
    const ref = node.$ref;
    if (typeof ref === 'string') {
      const [filePart = '', pointer = ''] = ref.split('#', 2);
      const where = () => `${documentOf(file)?.where([...at, '$ref']) ?? file} (${pointerOf(at)})`;
      if (/^[a-z][a-z0-9+.-]*:/i.test(filePart)) {
        problems.push({
          where: where(),
          file,
          message: `$ref '${ref}' points outside the local files`,
          hint: 'gw resolves local $refs only: copy the schema next to the spec.',
        });
        return {};
      }
      const target = filePart === '' ? file : path.resolve(path.dirname(file), filePart);
      const key = `${target}#${pointer}`;
      if (stack.includes(key)) return {};
      const targetDocument = documentOf(target);
      // A file that cannot be read or parsed is a problem of its own, reported once.
      if (!targetDocument) return {};
      const keys = pointerKeys(pointer);
      const resolved = resolvePointer(targetDocument.value, keys);
      if (resolved === undefined) {
        problems.push({
          where: where(),
          file,
          message: `$ref '${ref}' points at nothing`,
          hint: `Check that ${path.basename(target)} has ${pointer || 'a document'}.`,
        });
        return {};
      }
      const { $ref: _ref, ...siblings } = node;
      const inlined = inline(resolved, target, keys, [...stack, key]);
      return Object.keys(siblings).length > 0 && isObject(inlined) ? { ...inlined, ...siblings } : inlined;
    }
    const copy: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(node)) copy[name] = inline(value, file, [...at, name], stack);
    return copy;
  };

  const done = (spec?: LoadedSpec): SpecLoad => ({
    spec: problems.length === 0 ? spec : undefined,
    problems,
    files: [...files.keys()],
  });
  const raw = documentOf(entry)?.value;
  if (raw === undefined) return done();
  const fail = (message: string, hint?: string) => {
    problems.push({ where: entry, file: entry, message, ...(hint ? { hint } : {}) });
    return done();
  };
  if (!isObject(raw)) return fail('is not an OpenAPI document (expected a mapping at the top)');
  const declared = typeof raw.openapi === 'string' ? raw.openapi : '';
  const version = declared.startsWith('3.0') ? '3.0' : declared.startsWith('3.1') ? '3.1' : undefined;
  if (version === undefined) {
    return fail(
      `says openapi: '${declared || String(raw.swagger ?? '')}', not 3.0.x or 3.1.x`,
      'Convert Swagger 2.0 specs to OpenAPI 3 (e.g. with swagger2openapi).',
    );
  }
  if (!isObject(raw.paths)) return fail('has no `paths`');
  const document = inline(raw, entry, [], []) as Record<string, unknown>;
  return done({ file: entry, version, document, files: [...files.keys()] });
}

/** A spec problem as a config problem of the field that names the spec (`services.users.openapi`). */
export function specConfigProblem(field: string, problem: SpecProblem): ConfigProblem {
  return {
    path: field,
    message: `${problem.where}: ${problem.message}`,
    ...(problem.hint ? { hint: problem.hint } : {}),
  };
}

/**
 * Loads a spec for the build (synchronous on purpose: specs load while the gateway is built, once
 * per config load), or throws GW_OPENAPI_INVALID naming the first problem and listing them all.
 */
export function loadSpec(configDir: string, specPath: string): LoadedSpec {
  const { spec, problems } = readSpec(configDir, specPath);
  if (spec) return spec;
  const [first] = problems;
  const entry = path.resolve(configDir, specPath);
  throw new GatewayError(
    'GW_OPENAPI_INVALID',
    `${first?.file ?? entry}: ${first?.message ?? 'cannot be read'}`,
    {
      file: first?.file ?? entry,
      ...(first?.hint ? { hint: first.hint } : {}),
      problems: problems.map((problem) => ({ path: problem.where, message: problem.message })),
    },
  );
}
