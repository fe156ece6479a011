import type { z } from 'zod';

type AnySchema = z.core.$ZodType;
type Def = { type: string } & Record<string, unknown>;

const wrappers = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

function defOf(schema: AnySchema): Def {
  return schema._zod.def as unknown as Def;
}

/** Peels optional/default/pipe wrappers down to the schema that decides the shape. */
function unwrap(schema: AnySchema): AnySchema[] {
  const def = defOf(schema);
  if (wrappers.has(def.type)) return unwrap(def.innerType as AnySchema);
  if (def.type === 'pipe') return unwrap(def.in as AnySchema);
  if (def.type === 'lazy') return unwrap((def.getter as () => AnySchema)());
  if (def.type === 'union') return (def.options as AnySchema[]).flatMap(unwrap);
  if (def.type === 'intersection')
    return [...unwrap(def.left as AnySchema), ...unwrap(def.right as AnySchema)];
  return [schema];
}

function childSchemas(schema: AnySchema, segment: PropertyKey): AnySchema[] {
  return unwrap(schema).flatMap((inner) => {
    const def = defOf(inner);
    if (def.type === 'object') {
      const child = (def.shape as Record<string, AnySchema>)[String(segment)];
      return child ? [child] : [];
    }
    if (def.type === 'array') return [def.element as AnySchema];
    if (def.type === 'record') return [def.valueType as AnySchema];
    return [];
  });
}

/**
 * The keys the schema allows on the object at `path` (e.g. `['routes', 2]` → the route keys).
 * Walks the schema instead of keeping a list, so policy keys added later are known at once.
 */
export function knownKeysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  let level = [schema];
  for (const segment of path) level = level.flatMap((s) => childSchemas(s, segment));
  const keys = new Set<string>();
  for (const inner of level.flatMap(unwrap)) {
    const def = defOf(inner);
    if (def.type === 'object') for (const key of Object.keys(def.shape as object)) keys.add(key);
  }
  return [...keys];
}
