import { GatewayError, isGatewayError } from '../errors.js';
import { filesOfFailedLoad, loadConfig, type LoadedConfig } from '../config/load-config.js';
import { watchConfig, type ConfigWatcher } from '../config/watch-config.js';
import { sameValue } from '../config/diff-config.js';
import { createEventStream, type EventStream } from '../events/event-stream.js';
import { startPlainReporter } from '../reporters/plain-reporter.js';
import { startJsonReporter } from '../reporters/json-reporter.js';
import { createLineWriter, drainOutput } from '../reporters/line-writer.js';
import { startGateway, type RunningGateway } from './start-gateway.js';
import { createSerialReloader } from './serial-reloader.js';
import { warnUnreachableTargets } from './warn-unreachable-targets.js';
import { createInspectActions } from '../observe/inspect/dashboard-actions.js';

export interface DevServerOptions {
  config?: string;
  cwd?: string;
  port?: number;
  host?: string;
  /** `--https`: serve HTTPS from gw's local CA even when the config has no `tls`. */
  https?: boolean;
  stateDir?: string;
  /** Show the Ink dashboard (only when stdout is a TTY and CI is not set). */
  dashboard: boolean;
  logFormat: 'pretty' | 'json';
  /** Prints lines before the gateway starts (the demo's curl commands). */
  banner?: (url: string) => string[];
  watch?: boolean;
}

export interface DevServer {
  readonly gateway: RunningGateway;
  readonly loaded: LoadedConfig;
  reload(): Promise<void>;
  close(reason?: string): Promise<void>;
}

/**
 * The composition root of `gw dev`: the one place that wires events, output, config loading,
 * the gateway and the watcher. Reloads are serial (one at a time, at most one queued); a failed
 * one keeps the last good gateway serving and says so loudly.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const events = createEventStream();
  // Reporter lines go out batched per event-loop turn (one write for many request lines under
  // load); a direct write flushes them first, so lines keep their order.
  const lines = createLineWriter(process.stdout);
  const write = (line: string) => {
    lines.flush();
    process.stdout.write(line + '\n');
  };
  let stopOutput: () => void = () => {};
  const useDashboard = options.dashboard && process.stdout.isTTY === true && !process.env.CI;
  const usePlain = () => {
    stopOutput();
    const report = { events, write: lines.write };
    const stop = options.logFormat === 'json' ? startJsonReporter(report) : startPlainReporter(report);
    stopOutput = () => {
      stop();
      lines.flush();
    };
  };
  if (!useDashboard) usePlain();

  const loaded = await loadConfig({ file: options.config, cwd: options.cwd });
  let current = loaded;
  let closeServer: (reason: string) => Promise<void> = async () => {};
  let snapshotTimer: NodeJS.Timeout | undefined;

  if (useDashboard) {
    // Banner lines go out before Ink owns the screen (the port is the one asked for).
    const host = options.host ?? loaded.config.host;
    const tlsOn = options.https === true || (loaded.config.tls !== undefined && loaded.config.tls !== false);
    const scheme = tlsOn ? 'https' : 'http';
    for (const line of options.banner?.(`${scheme}://${host}:${options.port ?? loaded.config.port}`) ?? [])
      write(line);
    // The view subscribes before the gateway starts, so it sees the first load and `listening`.
    const { renderDashboard } = await import('../dashboard/render-dashboard.js');
    const view = renderDashboard({
      events,
      info: { url: '', configFile: loaded.file },
      actions: {
        quit: () => void closeServer('quit').then(() => process.exit(0)),
        // Only pressed once the dashboard is up, after `reloader` exists.
        reload: () => void reloader.trigger(),
        // c, R, e on kept requests; pressed only once the gateway runs.
        inspect: createInspectActions(() => gateway, process.cwd()),
      },
      onCrash: (error) => {
        // A broken view must never take the gateway down: fall back to plain lines.
        view.unmount();
        usePlain();
        write(
          `dashboard failed (${error instanceof Error ? error.message : String(error)}); printing plain lines instead`,
        );
      },
    });
    stopOutput = () => view.unmount();
  }

  let gateway: RunningGateway;
  try {
    gateway = await startGateway({
      config: loaded.config,
      resolved: true,
      configFile: loaded.file,
      configDir: loaded.dir,
      port: options.port,
      host: options.host,
      https: options.https,
      stateDir: options.stateDir,
      events,
      // Bodies are kept for the dashboard and /__gw/requests, except for JSON logs to a pipe (production-like runs).
      inspectBodies: !(options.logFormat === 'json' && process.stdout.isTTY !== true),
    });
  } catch (error) {
    stopOutput();
    throw error;
  }
  if (useDashboard) {
    // In-flight counts and target health for the view, once a second.
    snapshotTimer = setInterval(() => emitTargetsSnapshot(events, gateway), 1000);
    snapshotTimer.unref();
  } else {
    // JSON-lines output stays machine-readable: the banner goes to stderr there.
    const say = options.logFormat === 'json' ? (line: string) => process.stderr.write(line + '\n') : write;
    for (const line of options.banner?.(gateway.url) ?? []) say(line);
  }
  void warnUnreachableTargets(loaded.config, events);

  let closing: Promise<void> | undefined;
  const close = (reason = 'stopped') => {
    closing ??= (async () => {
      clearInterval(snapshotTimer);
      await watcher?.close();
      await gateway.close();
      stopOutput();
      // The last lines may still be queued for a slow pipe: they go out before the process ends.
      await drainOutput(process.stdout, 2_000);
      void reason;
    })();
    return closing;
  };
  closeServer = close;

  const reloadOnce = async () => {
    const startedAt = performance.now();
    try {
      const next = await loadConfig({ file: current.file });
      const restartOnly = restartOnlyChanges(current.config, next.config);
      if (restartOnly.length > 0) {
        events.emit({
          type: 'warning',
          at: Date.now(),
          message: `${restartOnly.join(', ')} changed: that takes effect on the next start of gw dev`,
        });
      }
      await gateway.reload(next.config, { resolved: true, file: next.file, startedAt });
      current = next;
      watcher?.update(next.dependencies);
    } catch (error) {
      // A config that now imports a broken new module: watch that module too, so fixing it reloads.
      watcher?.update([...current.dependencies, ...filesOfFailedLoad(error)]);
      const gatewayError = isGatewayError(error)
        ? error
        : new GatewayError('GW_CONFIG_LOAD_FAILED', error instanceof Error ? error.message : String(error), {
            cause: error,
          });
      events.emit({
        type: 'config-rejected',
        at: Date.now(),
        file: gatewayError.file ?? current.file,
        error: gatewayError,
      });
    }
  };
  const reloader = createSerialReloader(reloadOnce);

  let watcher: ConfigWatcher | undefined;
  if (options.watch !== false) {
    watcher = watchConfig(loaded, (reason) => {
      if (reason.kind === 'deleted') {
        events.emit({
          type: 'config-rejected',
          at: Date.now(),
          file: reason.file,
          error: new GatewayError(
            'GW_CONFIG_DELETED',
            `${reason.file} was deleted; the last good config keeps serving`,
            {
              file: reason.file,
            },
          ),
        });
        return;
      }
      void reloader.trigger();
    });
    await watcher.ready;
  }

  return {
    gateway,
    get loaded() {
      return current;
    },
    reload: () => reloader.trigger(),
    close,
  };
}

/** Settings a running process cannot change in place (the socket, the server limits, the store). */
function restartOnlyChanges(previous: LoadedConfig['config'], next: LoadedConfig['config']): string[] {
  const keys = ['port', 'host', 'server', 'state', 'tls'] as const;
  return keys.filter(
    (key) => !sameValue(previous[key as keyof typeof previous], next[key as keyof typeof next]),
  );
}

function emitTargetsSnapshot(events: EventStream, gateway: RunningGateway): void {
  const targets = gateway
    .current()
    .upstreams.pools()
    .flatMap((pool) =>
      pool.targets.map((t) => ({
        service: pool.name,
        target: t.key,
        healthy: t.healthy,
        state: t.state,
        inFlight: t.inFlight,
        ...(t.reason ? { reason: t.reason } : {}),
      })),
    );
  events.emit({ type: 'targets-snapshot', at: Date.now(), targets });
}
