import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { loadSpec } from '../openapi/load-spec.js';
import { routeLiteral, routeObject, routesOfSpec, type ImportedRoute } from './routes-import-routes.js';
import { addRoutesToConfig } from './routes-import-write.js';

interface ImportFlags {
  service: string;
  prefix?: string;
  write?: boolean;
  config?: string;
  json?: boolean;
}

const describe = (route: ImportedRoute) => `${route.methods.join(',')} ${route.path}`;

/**
 * `gw routes import <spec> --service <name> [--prefix /api] [--write]` (issue 16, item 4): the
 * routes an OpenAPI document implies, printed as config text, or added to the config file.
 */
export function registerRoutesImport(routes: Command): void {
  routes
    .command('import')
    .description(
      'print the routes an OpenAPI spec implies (one per path), or add them to the config with --write',
    )
    .argument('<spec>', 'OpenAPI 3.0/3.1 document, YAML or JSON')
    .requiredOption('--service <name>', 'the service the routes go to')
    .option('--prefix <path>', "gw's path in front of the spec's paths (taken off again with stripPrefix)")
    .option('--write', 'add the routes the config does not have yet to the config file')
    .option('-c, --config <file>', 'config file (default: gateway.config.ts in this folder)')
    .option('--json', 'print JSON')
    .action(async (specArg: string, flags: ImportFlags) => {
      const spec = loadSpec(process.cwd(), specArg);
      const found = routesOfSpec(spec, { service: flags.service, prefix: flags.prefix });
      if (!flags.write) {
        if (flags.json) {
          process.stdout.write(JSON.stringify(found.map(routeObject), null, 2) + '\n');
          return;
        }
        const title = `${path.relative(process.cwd(), spec.file) || spec.file}: ${found.length} routes for service ${flags.service}`;
        process.stdout.write(
          [`// ${title}`, ...found.map((route) => `${routeLiteral(route)},`)].join('\n') + '\n',
        );
        return;
      }
      const loaded = await loadConfig({ file: flags.config });
      const result = await addRoutesToConfig(loaded, found, { service: flags.service, file: spec.file });
      if (flags.json) {
        const json = {
          file: result.file,
          added: result.added.map(routeObject),
          present: result.present.map(routeObject),
          serviceAdded: result.serviceAdded ?? null,
        };
        process.stdout.write(JSON.stringify(json, null, 2) + '\n');
        return;
      }
      const lines = [
        ...(result.serviceAdded
          ? [
              `✔ added service ${result.serviceAdded.name} (openapi: ${result.serviceAdded.openapi}, mock: 'openapi': answered from the spec until it has targets)`,
            ]
          : []),
        result.added.length > 0
          ? `✔ added ${result.added.length} routes to ${result.file}:`
          : `✔ ${result.file} already has every route of the spec; nothing added`,
        ...result.added.map((route) => `  + ${describe(route)}`),
        ...(result.present.length > 0 && result.added.length > 0
          ? [`  already there (left as they are): ${result.present.map((r) => r.path).join(', ')}`]
          : []),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
