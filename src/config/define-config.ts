import type { GatewayConfigInput } from './schema.js';

/** A config file may also export a function, run on each load (e.g. to read files or env). */
export type GatewayConfigFactory = () => GatewayConfigInput | Promise<GatewayConfigInput>;

/**
 * Gives a config file full types and editor completion; returns its argument unchanged
 * (the same identity trick as Vite's `defineConfig`).
 */
export function defineConfig(config: GatewayConfigInput): GatewayConfigInput;
export function defineConfig(config: GatewayConfigFactory): GatewayConfigFactory;
export function defineConfig(
  config: GatewayConfigInput | GatewayConfigFactory,
): GatewayConfigInput | GatewayConfigFactory {
  return config;
}
