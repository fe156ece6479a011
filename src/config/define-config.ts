import type { GatewayConfigInput } from './schema.js';

/**
 * Gives a config file full types and editor completion; returns its argument unchanged
 * (the same identity trick as Vite's `defineConfig`).
 */
export function defineConfig(config: GatewayConfigInput): GatewayConfigInput {
  return config;
}
