import type { FieldRules } from './transform-schema.js';

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function get(source: Json, path: string[]): { found: boolean; value: unknown } {
  let node: unknown = source;
  for (const key of path) {
    if (!isRecord(node) || !Object.hasOwn(node, key)) return { found: false, value: undefined };
    node = node[key];
  }
  return { found: true, value: node };
}

function put(target: Json, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = isRecord(next) ? next : (node[key] = {});
  }
  node[path[path.length - 1]!] = value;
}

function drop(target: Json, path: string[]): { found: boolean; value: unknown } {
  const parent = get(target, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (!parent.found || !isRecord(parent.value) || !Object.hasOwn(parent.value, key))
    return { found: false, value: undefined };
  const value = parent.value[key];
  delete parent.value[key];
  return { found: true, value };
}

/**
 * Compiles pick/omit/rename into a function of a parsed JSON body. Objects are edited; an array
 * has each of its objects edited (list endpoints); anything else passes unchanged. Edits happen
 * in place: the body is the gateway's own freshly parsed copy.
 */
export function compileFieldRules(rules: FieldRules): (body: unknown) => unknown {
  const pick = rules.pick?.map((p) => p.split('.'));
  const omit = rules.omit?.map((p) => p.split('.')) ?? [];
  const rename = Object.entries(rules.rename ?? {}).map(([from, to]) => [from.split('.'), to] as const);
  const editOne = (source: Json): Json => {
    let out: Json;
    if (pick) {
      out = {};
      for (const path of pick) {
        const { found, value } = get(source, path);
        if (found) put(out, path, value);
      }
    } else out = source;
    for (const path of omit) drop(out, path);
    for (const [from, to] of rename) {
      const { found, value } = drop(out, from);
      if (found) put(out, [...from.slice(0, -1), to], value);
    }
    return out;
  };
  return function applyFieldRules(body) {
    if (Array.isArray(body)) return body.map((item) => (isRecord(item) ? editOne(item) : item));
    return isRecord(body) ? editOne(body) : body;
  };
}
