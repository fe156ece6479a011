import type { HeaderRules } from './transform-schema.js';

type Headers = Record<string, string | string[] | number | undefined>;

/** Compiles the rules once into a function that edits a header object in place. */
export function compileHeaderRules(rules: HeaderRules | undefined): ((headers: Headers) => void) | undefined {
  if (!rules) return undefined;
  const remove = rules.remove ?? [];
  const rename = Object.entries(rules.rename ?? {});
  const set = Object.entries(rules.set ?? {});
  const add = Object.entries(rules.add ?? {});
  if (remove.length + rename.length + set.length + add.length === 0) return undefined;
  return function applyHeaderRules(headers) {
    for (const name of remove) delete headers[name];
    for (const [from, to] of rename) {
      const value = headers[from];
      if (value === undefined) continue;
      delete headers[from];
      headers[to] = value;
    }
    for (const [name, value] of set) headers[name] = value;
    for (const [name, value] of add) {
      const current = headers[name];
      const extra = Array.isArray(value) ? value : [value];
      if (current === undefined) headers[name] = Array.isArray(value) ? [...value] : value;
      else headers[name] = [...(Array.isArray(current) ? current : [String(current)]), ...extra];
    }
  };
}
