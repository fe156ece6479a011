import type { Command } from 'commander';
import { GatewayError } from '../errors.js';
import { loadConfig } from '../config/load-config.js';
import { compileRoute } from '../pipeline/compile-route.js';
import { createRouteTable } from '../pipeline/match-route.js';

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('validate the config; exit 1 with every problem listed')
    .option('-c, --config <file>', 'config file (default: gateway.config.ts in this folder)')
    .action(async (flags: { config?: string }) => {
      const loaded = await loadConfig({ file: flags.config });
      const table = createRouteTable(loaded.config.routes.map(compileRoute));
      if (table.shadowed.length > 0) {
        throw new GatewayError('GW_CONFIG_INVALID', `${loaded.file} has routes that can never win`, {
          file: loaded.file,
          problems: table.shadowed.map(({ route, by, methods }) => ({
            path: `routes[${loaded.config.routes.indexOf(route.config)}]`,
            message: `${route.id} never wins for ${methods.join(', ')}: ${by.id} matches the same paths first`,
            hint: 'Remove one of the two routes, or give them different methods.',
          })),
        });
      }
      const services = Object.keys(loaded.config.services).length;
      process.stdout.write(
        `✔ ${loaded.file} is valid: ${loaded.config.routes.length} routes, ${services} services\n`,
      );
    });
}
