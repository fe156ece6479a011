import type { Command } from 'commander';
import { GatewayError } from '../errors.js';
import { loadConfig } from '../config/load-config.js';
import { compileRoute } from '../pipeline/compile-route.js';
import { createRouteTable } from '../pipeline/match-route.js';
import { checkOpenapiSpecs } from '../openapi/check-specs.js';

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('validate the config; exit 1 with every problem listed')
    .option('-c, --config <file>', 'config file (default: gateway.config.ts in this folder)')
    .action(async (flags: { config?: string }) => {
      const loaded = await loadConfig({ file: flags.config });
      const table = createRouteTable(loaded.config.routes.map(compileRoute));
      const problems = [
        ...table.shadowed.map(({ route, by, methods }) => ({
          path: `routes[${loaded.config.routes.indexOf(route.config)}]`,
          message: `${route.id} never wins for ${methods.join(', ')}: ${by.id} matches the same paths first`,
          hint: 'Remove one of the two routes, or give them different methods.',
        })),
        // OpenAPI specs: unreadable or broken files, and routes the spec has nothing under.
        ...checkOpenapiSpecs(loaded.config, loaded.dir),
      ];
      if (problems.length > 0) {
        const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
        throw new GatewayError('GW_CONFIG_INVALID', `${loaded.file} has ${count}`, {
          file: loaded.file,
          problems,
        });
      }
      const services = Object.keys(loaded.config.services).length;
      process.stdout.write(
        `✔ ${loaded.file} is valid: ${loaded.config.routes.length} routes, ${services} services\n`,
      );
    });
}
