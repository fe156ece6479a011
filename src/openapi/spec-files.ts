import { readSpec } from './load-spec.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `[name, openapi path]` of every service with a spec, read from a config as loaded (valid or not). */
export function specsOf(config: object): Array<[string, string]> {
  const services = (config as { services?: unknown }).services;
  if (!isRecord(services)) return [];
  return Object.entries(services).flatMap(([name, service]) =>
    isRecord(service) && typeof service.openapi === 'string'
      ? [[name, service.openapi] as [string, string]]
      : [],
  );
}

/**
 * Every file the config's specs read, missing ones included: `gw dev` watches them like the
 * config, so saving a spec (or a file it `$ref`s) reloads, and fixing a broken one too.
 */
export function specFilesOf(config: object, configDir: string): string[] {
  const files = new Set<string>();
  for (const [, spec] of specsOf(config)) for (const file of readSpec(configDir, spec).files) files.add(file);
  return [...files];
}
