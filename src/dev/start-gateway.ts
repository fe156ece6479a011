import type { Duplex } from 'node:stream';
import type { GatewayConfigInput, ResolvedConfig } from '../config/schema.js';
import { resolveConfig } from '../config/resolve-config.js';
import { diffConfig } from '../config/diff-config.js';
import { createEventStream, type EventStream } from '../events/event-stream.js';
import type { ConfigChanges } from '../events/gateway-events.js';
import { buildGateway, type BuiltGateway } from '../pipeline/build-gateway.js';
import { createForwarder } from '../proxy/forwarder.js';
import { createGatewayState } from '../state/create-state.js';
import type { GatewayState } from '../state/types.js';
import { createGatewayServer } from './gateway-server.js';
import { redirectPortOf, resolveListenerTls, startHttpsRedirect } from './listener-tls.js';
import { summarizeRoutes } from './route-summary.js';
import { createWebSocketCloser } from './websocket-going-away.js';
import { metricsOf, metricsSkip } from '../metrics/gateway-metrics.js';
import { inspectStoreOf } from '../observe/inspect/inspect-store.js';
import { createTelemetry } from '../observe/trace/telemetry.js';
import { recordingsWritten } from '../observe/recording-store.js';
import type { SpanTracer } from '../observe/trace/span-types.js';

export interface StartGatewayOptions {
  /** A config object (validated here) or one already resolved by loadConfig. */
  config: GatewayConfigInput | ResolvedConfig;
  /** Where the config came from (errors and the dashboard name it). */
  configFile?: string;
  /** Folder the config's relative paths resolve against (and `.gw/` lives in by default). */
  configDir?: string;
  /** Overrides config.port (0 picks a free port). */
  port?: number;
  host?: string;
  stateDir?: string;
  events?: EventStream;
  /** Set when `config` came from loadConfig and is already validated and frozen. */
  resolved?: boolean;
  /** Serve HTTPS (h2 and http/1.1) from gw's local CA even when the config has no `tls`. */
  https?: boolean;
  /** A plain HTTP port that answers 308 to the HTTPS one (`tls.redirectHttpFrom`). */
  redirectHttpFrom?: number;
  /** What `inspect.bodies` means when the config leaves it out (`gw dev`: on, unless JSON logs go to a pipe). */
  inspectBodies?: boolean;
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly events: EventStream;
  readonly state: GatewayState;
  current(): BuiltGateway;
  /**
   * Builds the new config, then swaps it in at once; requests in flight finish on the old one.
   * Throws (and keeps serving the old config) when the new one is invalid.
   */
  reload(
    config: GatewayConfigInput | ResolvedConfig,
    options?: {
      resolved?: boolean;
      file?: string;
      /** performance.now() when the reload began (file read included) */ startedAt?: number;
    },
  ): Promise<ConfigChanges>;
  close(graceMs?: number): Promise<void>;
}

/** The programmatic gateway: what `gw dev` runs, and what tests and embedders start in-process. */
/** How long stopping waits for recordings still being written (local files: milliseconds). */
const RECORDINGS_FLUSH_MS = 2000;

export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const events = options.events ?? createEventStream();
  const configDir = options.configDir ?? process.cwd();
  const started = performance.now();
  const config = options.resolved
    ? (options.config as ResolvedConfig)
    : resolveConfig(options.config, options.configFile);
  const tls = await resolveListenerTls(config, {
    https: options.https,
    configDir,
    configFile: options.configFile,
  });
  const state = await createGatewayState({ config, configDir, stateDir: options.stateDir, events });
  inspectStoreOf(state).defaultOn = options.inspectBodies ?? false;
  // Metrics follow the event stream, once per process; the registry lives as long as the state.
  const stopMetrics = events.subscribe(metricsOf(state).observe, { skip: metricsSkip });
  const forwarder = createForwarder();
  // Span export (issue 17, item 4): the SDK loads only when the config has `telemetry`.
  const telemetry = createTelemetry(events, metricsOf(state).registry);
  const build = (next: ResolvedConfig, previous?: BuiltGateway, tracer?: SpanTracer) =>
    buildGateway(next, { events, state, configDir, forwarder, previous, bindHost: options.host, tracer });
  const firstTracer = await telemetry.use(config.telemetry);
  telemetry.settle(firstTracer);
  const first = build(config, undefined, firstTracer);
  const server = createGatewayServer(first, config.server, tls);
  // WebSockets are told 1001 "going away" as shutdown starts, not dropped when the grace ends.
  const webSockets = createWebSocketCloser();
  server.server.on('upgrade', (_req, socket: Duplex) => webSockets.track(socket));
  let address;
  try {
    address = await server.listen(options.port ?? config.port, options.host ?? config.host);
  } catch (error) {
    first.close();
    stopMetrics();
    await telemetry.close();
    await state.close();
    throw error;
  }
  const redirectFrom = redirectPortOf(config, options.redirectHttpFrom);
  const redirect =
    tls && redirectFrom !== undefined
      ? await startHttpsRedirect({ port: redirectFrom, host: address.host, httpsPort: address.port }).catch(
          async (error: unknown) => {
            await server.shutdown(0);
            first.close();
            stopMetrics();
            await telemetry.close();
            await state.close();
            throw error;
          },
        )
      : undefined;
  events.emit({
    type: 'config-loaded',
    at: Date.now(),
    file: options.configFile,
    routes: config.routes.length,
    changes: diffConfig(undefined, config),
    durationMs: performance.now() - started,
    initial: true,
    routeTable: summarizeRoutes(first),
  });
  events.emit({
    type: 'listening',
    at: Date.now(),
    url: address.url,
    configFile: options.configFile,
    routes: config.routes.length,
    routeTable: summarizeRoutes(first),
  });

  return {
    url: address.url,
    port: address.port,
    host: address.host,
    events,
    state,
    current: () => server.current(),
    async reload(input, reloadOptions = {}) {
      const begun = reloadOptions.startedAt ?? performance.now();
      const file = reloadOptions.file ?? options.configFile;
      const next = reloadOptions.resolved ? (input as ResolvedConfig) : resolveConfig(input, file);
      const previous = server.current();
      const tracer = await telemetry.use(next.telemetry);
      let built: BuiltGateway;
      try {
        built = build(next, previous, tracer);
      } catch (error) {
        telemetry.settle(telemetry.active);
        throw error;
      }
      telemetry.settle(tracer);
      server.use(built);
      previous.close();
      const changes = diffConfig(previous.config, next);
      events.emit({
        type: 'config-loaded',
        at: Date.now(),
        file,
        routes: next.routes.length,
        changes,
        durationMs: performance.now() - begun,
        initial: false,
        routeTable: summarizeRoutes(built),
      });
      return changes;
    },
    async close(graceMs = config.server.shutdownGrace) {
      events.emit({ type: 'shutdown', at: Date.now(), reason: 'closed' });
      webSockets.goAway();
      await Promise.all([server.shutdown(graceMs), redirect?.close()]);
      // The last answers' recordings (a stream that ended just now) reach the disk before exit.
      await recordingsWritten(RECORDINGS_FLUSH_MS);
      server.current().close();
      forwarder.close();
      stopMetrics();
      await telemetry.close();
      await state.close();
    },
  };
}
