import { render, type Instance } from 'ink';
import type { EventStream } from '../events/index.js';
import { Dashboard } from './Dashboard.js';
import { createDashboardStore, type DashboardStore } from './dashboard-store.js';
import { ErrorBoundary } from './ErrorBoundary.js';
import { ColorsContext, colorsEnabled } from './palette.js';
import type { DashboardActions } from './use-dashboard-keys.js';

export interface DashboardOptions {
  events: EventStream;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  info: { url: string; configFile?: string };
  actions: DashboardActions;
  /** Called once if the view fails; the dashboard is already unmounted by then. */
  onCrash(error: unknown): void;
  /** Tests pin the clock; the gateway's own events still carry their real times. */
  now?: () => number;
  env?: NodeJS.ProcessEnv;
  /** Route stray console output above the dashboard (default true; test runners own console). */
  patchConsole?: boolean;
}

export interface DashboardHandle {
  unmount(): void;
}

/** The tree the dashboard draws; tests render it with ink-testing-library. */
export function DashboardApp(props: {
  readonly store: DashboardStore;
  readonly actions: DashboardOptions['actions'];
  readonly now: () => number;
  readonly colors: boolean;
  readonly onCrash: (error: unknown) => void;
}) {
  return (
    <ColorsContext.Provider value={props.colors}>
      <ErrorBoundary onCrash={props.onCrash}>
        <Dashboard store={props.store} actions={props.actions} now={props.now} onCrash={props.onCrash} />
      </ErrorBoundary>
    </ColorsContext.Provider>
  );
}

/**
 * Draws the live dashboard on a terminal. Subscribes before the first frame so no event is
 * missed; draws at most 10 frames a second; a failure in the view unmounts it and calls
 * `onCrash` (the caller switches to plain lines) instead of reaching the gateway.
 */
export function mountDashboard(options: DashboardOptions): DashboardHandle {
  const now = options.now ?? Date.now;
  let instance: Instance | undefined;
  let closed = false;

  function unmount(): void {
    if (closed) return;
    closed = true;
    store.close();
    instance?.unmount();
  }

  function crash(error: unknown): void {
    if (closed) return;
    // Leave React's commit first, give the terminal back, then hand over.
    setImmediate(() => {
      if (closed) return;
      try {
        unmount();
      } finally {
        options.onCrash(error);
      }
    });
  }

  const store = createDashboardStore(options.events, {
    seed: {
      // An empty url means "not listening yet": the header says so until `listening` arrives.
      ...(options.info.url ? { url: options.info.url } : {}),
      ...(options.info.configFile ? { configFile: options.info.configFile } : {}),
      startedAt: now(),
    },
    onError: crash,
  });

  try {
    instance = render(
      <DashboardApp
        store={store}
        actions={options.actions}
        now={now}
        colors={colorsEnabled(options.env)}
        onCrash={crash}
      />,
      {
        stdout: options.stdout ?? process.stdout,
        stdin: options.stdin ?? process.stdin,
        maxFps: 10,
        onRender: () => store.frameDrawn(),
        // `q` and Ctrl-C both go through actions.quit so in-flight requests finish.
        exitOnCtrlC: false,
        patchConsole: options.patchConsole ?? true,
      },
    );
  } catch (error) {
    crash(error);
  }
  return { unmount };
}
