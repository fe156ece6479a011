/**
 * Freezes plain objects and arrays all the way down. Functions (rewrite functions, custom
 * middleware) stay callable and are not descended into; class instances a TS config may hand
 * over (a Buffer, a store) are left alone, since freezing some of them throws or breaks them.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  return value;
}
