import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { compileRoute } from '../pipeline/compile-route.js';
import { createRouteTable } from '../pipeline/match-route.js';
import { normalizePath, splitUrl } from '../pipeline/normalize-path.js';
import { GatewayError } from '../errors.js';
import { explainGrpcCall, formatGrpcRouteMethods, grpcRouteMethods } from './grpc-route-methods.js';
import { printTable } from './print-table.js';
import { registerRoutesImport } from './routes-import-command.js';
import { formatOpenapi, formatOperation, openapiOfRoute, operationOfRequest } from './route-openapi.js';
import { formatPolicy, pathChanges, policiesOfRoute } from './route-policies.js';
import { explainHost, parseTestUrl } from './test-url.js';

function targetsOf(
  config: Awaited<ReturnType<typeof loadConfig>>['config'],
  service: string | undefined,
): string[] {
  if (!service) return [];
  return (config.services[service]?.targets ?? []).map((t) => (typeof t === 'string' ? t : t.url));
}

export function registerRoutesCommand(program: Command): void {
  const routes = program.command('routes').description('inspect the route table');

  routes
    .command('list')
    .description('methods, path, service and targets, policies')
    .option('-c, --config <file>', 'config file')
    .option('--json', 'print JSON')
    .action(async (flags: { config?: string; json?: boolean }) => {
      const { config, dir } = await loadConfig({ file: flags.config });
      // Where a client reaches the route: https:// when the config turns TLS on, the route's
      // host name, else the bind address.
      const scheme = config.tls === undefined || config.tls === false ? 'http' : 'https';
      const bindHost = config.host.includes(':') ? `[${config.host}]` : config.host;
      const rows = config.routes.map((route) => {
        const grpc = grpcRouteMethods(route, config, dir);
        const compiled = compileRoute(route);
        return {
          id: compiled.id,
          methods: route.methods ?? ['*'],
          path: route.path,
          url: `${scheme}://${route.host ?? bindHost}:${config.port}${route.path}`,
          service: route.service ?? null,
          targets: targetsOf(config, route.service),
          stripPrefix: route.stripPrefix ?? null,
          pathChanges: pathChanges(route),
          policies: policiesOfRoute(route, config),
          ...(grpc ? { grpc } : {}),
          openapi: openapiOfRoute(route, config) ?? null,
        };
      });
      if (flags.json) {
        const json = rows.map(({ pathChanges: _changes, ...row }) => row);
        process.stdout.write(JSON.stringify(json, null, 2) + '\n');
        return;
      }
      printTable(
        ['METHODS', 'PATH', 'SERVICE', 'TARGETS', 'POLICIES', 'URL'],
        rows.map((r) => [
          r.methods.join(','),
          r.path,
          r.service ?? '-',
          r.targets.join(' ') || '-',
          [...r.pathChanges, ...r.policies.map(formatPolicy), ...formatOpenapi(r.openapi ?? undefined)].join(
            ', ',
          ) || '-',
          r.url,
        ]),
      );
      // gRPC routes list their methods; transcode routes the REST routes their proto declares.
      for (const row of rows) {
        if (!row.grpc) continue;
        const lines = formatGrpcRouteMethods(row.grpc).map((line) => `  ${line}`);
        process.stdout.write(`\n${row.path} (${row.service}):\n${lines.join('\n')}\n`);
      }
    });

  registerRoutesImport(routes);

  routes
    .command('test')
    .description('which route matches a request, the upstream URL it would call, and why')
    .argument('<method>', 'HTTP method, e.g. GET')
    .argument(
      '<url>',
      'request path with optional query, e.g. /api/users/7?x=1, or a URL to match its host too',
    )
    .option('-c, --config <file>', 'config file')
    .option('--json', 'print JSON')
    .action(async (methodArg: string, url: string, flags: { config?: string; json?: boolean }) => {
      const { config, dir } = await loadConfig({ file: flags.config });
      const method = methodArg.toUpperCase();
      // An absolute URL's host is matched like a request's Host (routes with `host`).
      const { host, target } = parseTestUrl(url);
      const { path: rawPath, search } = splitUrl(target);
      const normalized = normalizePath(rawPath);
      if (!normalized.ok) throw new GatewayError('GW_BAD_PATH', normalized.reason);
      const compiled = config.routes.map(compileRoute);
      const result = createRouteTable(compiled).match(method, normalized.path, host);
      if (result.kind !== 'matched') {
        const report = {
          matched: false,
          method,
          path: normalized.path,
          reason: result.kind,
          ...(result.kind === 'method-not-allowed' ? { allowed: result.allowed } : {}),
        };
        if (flags.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        else
          process.stdout.write(
            result.kind === 'method-not-allowed'
              ? `✖ ${method} ${normalized.path}: a route has this path but allows only ${result.allowed.join(', ')} (405)\n`
              : `✖ ${method} ${normalized.path}: no route matches (404)\n`,
          );
        process.exitCode = 1;
        return;
      }
      const { route, params } = result.match;
      const upstreamPath = route.toUpstreamPath(normalized.path) + search;
      const targets = targetsOf(config, route.config.service);
      const why = [
        normalized.path !== rawPath ? `the path normalises to ${normalized.path}` : undefined,
        config.routes.some((r) => r.host !== undefined) || host !== undefined
          ? explainHost(route.config.host, host)
          : undefined,
        `${route.config.path} matches ${normalized.path} at a segment boundary`,
        Object.keys(params).length ? `params ${JSON.stringify(params)}` : undefined,
        route.methods
          ? `${method} is one of ${[...route.methods].join(', ')}`
          : 'the route allows every method',
        route.config.stripPrefix
          ? `stripPrefix ${route.config.stripPrefix} gives ${upstreamPath}`
          : undefined,
        route.config.rewrite ? `rewrite gives ${upstreamPath}` : undefined,
      ].filter((line): line is string => line !== undefined);
      const grpc = explainGrpcCall(route.config, config, dir, method, normalized.path, search);
      if (grpc) why.push(...grpc.why);
      // A transcoded call goes upstream as POST /package.Service/Method, not as the REST path.
      const calledPath = route.config.transcode && grpc?.method ? `/${grpc.method}` : upstreamPath;
      const policies = policiesOfRoute(route.config, config);
      const openapi = operationOfRequest(route.config, config, dir, method, upstreamPath);
      const report = {
        matched: true,
        method,
        path: normalized.path,
        route: route.id,
        host: route.config.host ?? null,
        service: route.config.service ?? null,
        upstreamUrls: targets.map((t) => t.replace(/\/$/, '') + calledPath),
        params,
        ...(grpc ? { grpc: { method: grpc.method ?? null, fields: grpc.fields ?? {} } } : {}),
        policies,
        ...(openapi ? { openapi } : {}),
        why,
      };
      if (flags.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        return;
      }
      process.stdout.write(
        [
          `✔ ${method} ${url} → route ${route.id}`,
          `  service:  ${route.config.service ?? '-'}`,
          `  upstream: ${report.upstreamUrls.join(' | ') || '-'}`,
          ...(grpc ? [`  gRPC:     ${grpc.method ?? 'no method'}`] : []),
          ...(openapi ? [`  openapi:  ${formatOperation(openapi)}`] : []),
          `  policies: ${[...policies.map(formatPolicy), ...formatOpenapi(openapiOfRoute(route.config, config))].join(' → ') || 'none (forwarded as is)'}`,
          `  why:`,
          ...why.map((line) => `    - ${line}`),
        ].join('\n') + '\n',
      );
    });
}
