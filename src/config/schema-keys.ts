import type { z } from 'zod';

type AnySchema = z.core.$ZodType;

/** The schema's definition, typed by its kind: `switch (def.type)` narrows to that kind's fields. */
function defOf(schema: AnySchema): z.core.$ZodTypes['_zod']['def'] {
  return (schema as z.core.$ZodTypes)._zod.def;
}

/** Peels optional/default/pipe wrappers down to the schema that decides the shape. */
function unwrap(schema: AnySchema): AnySchema[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return unwrap(def.innerType);
    case 'pipe':
      return unwrap(def.in);
    case 'lazy':
      return unwrap(def.getter());
    case 'union':
      return def.options.flatMap(unwrap);
    case 'intersection':
      return [...unwrap(def.left), ...unwrap(def.right)];
    default:
      return [schema];
  }
}

function childSchemas(schema: AnySchema, segment: PropertyKey): AnySchema[] {
  return unwrap(schema).flatMap((inner) => {
    const def = defOf(inner);
    switch (def.type) {
      case 'object': {
        const child = def.shape[String(segment)];
        return child ? [child] : [];
      }
      case 'array':
        return [def.element];
      case 'record':
        return [def.valueType];
      default:
        return [];
    }
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
    if (def.type === 'object') for (const key of Object.keys(def.shape)) keys.add(key);
  }
  return [...keys];
}
