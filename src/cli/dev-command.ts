import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { formatCliError } from './print-error.js';

interface DevFlags {
  config?: string;
  port?: number;
  host?: string;
  stateDir?: string;
  demo?: boolean;
  https?: boolean;
  dashboard: boolean;
  logFormat: string;
  record?: string;
  replay?: string;
}

/** Commander reports a bad value as a usage error (exit 1, no stack trace). */
function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new InvalidArgumentError('expected a number from 0 to 65535.');
  }
  return port;
}

export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description('serve the gateway config in this folder and reload it on save')
    .option('-c, --config <file>', 'config file (default: gateway.config.ts in this folder)')
    .option('-p, --port <port>', 'port to listen on (default: the config, else 8080)', parsePort)
    .option('--host <host>', 'address to bind (default 127.0.0.1)')
    .option(
      '--state-dir <dir>',
      'where keys and token secrets live (default .gw/ beside the config; env GW_STATE_DIR)',
    )
    .option('--demo', 'run the built-in demo: mock services and their routes')
    .option(
      '--https',
      "serve HTTPS (h2 and http/1.1) with certificates from gw's local CA, as tls: true does",
    )
    .option('--no-dashboard', 'print plain lines instead of the live dashboard')
    .option('--log-format <format>', 'pretty or json', 'pretty')
    .option('--record <dir>', 'record every upstream answer into DIR/<service> (docs/record-replay.md)')
    .option('--replay <dir>', 'answer from the recordings in DIR/<service> instead of the upstreams')
    .action(async (flags: DevFlags) => {
      const { startDevServer } = await import('../dev/start-dev-server.js');
      const { allowBulkHeapGrowth } = await import('../proxy/bulk-transfer.js');
      allowBulkHeapGrowth();
      // Read by the record/replay policy at every config load (src/middleware/replay-sources.ts).
      if (flags.record) process.env.GW_RECORD_DIR = path.resolve(flags.record);
      if (flags.replay) process.env.GW_REPLAY_DIR = path.resolve(flags.replay);
      const port = flags.port;
      const logFormat = flags.logFormat === 'json' ? 'json' : 'pretty';
      // Listen from the first moment: a signal during startup (the watcher may take a while to be
      // ready) stops gw once it is up, instead of killing it half-started with the demo's files left.
      let signalled: string | undefined;
      let stop = (signal: string) => void (signalled ??= signal);
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      let demo:
        | { config: string; stateDir: string; banner: (url: string) => string[]; stop(): Promise<void> }
        | undefined;
      if (flags.demo) {
        const { startDemo } = await import('../dev/demo.js');
        demo = await startDemo({ stateDir: flags.stateDir });
      }
      const server = await startDevServer({
        config: demo?.config ?? flags.config,
        port,
        host: flags.host,
        https: flags.https,
        stateDir: demo?.stateDir ?? flags.stateDir ?? process.env.GW_STATE_DIR,
        dashboard: flags.dashboard && logFormat === 'pretty',
        logFormat,
        banner: demo?.banner,
      }).catch(async (error: unknown) => {
        await demo?.stop();
        throw error;
      });
      stop = (signal: string) => {
        void server
          .close(signal)
          .then(() => demo?.stop())
          .then(
            () => process.exit(0),
            (error: unknown) => {
              process.stderr.write(formatCliError(error) + '\n');
              process.exit(1);
            },
          );
      };
      if (signalled) stop(signalled);
    });
}
