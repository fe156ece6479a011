import type { EventStream } from '../events/index.js';
import {
  createDashboardState,
  reduceDashboard,
  type DashboardAction,
  type DashboardState,
} from './dashboard-state.js';

/**
 * Connects the event stream to the view without letting one drive the other: each event is
 * folded into the state (O(1)) and marks it dirty; a timer tells the view to draw at most once
 * per frame, and once a second regardless so uptime and countdowns move.
 */
export interface DashboardStore {
  readonly state: DashboardState;
  /** For useSyncExternalStore: changes whenever the view should draw again. */
  getVersion(): number;
  subscribe(onChange: () => void): () => void;
  /** Actions from the keys (clear …) apply and draw at once. */
  dispatch(action: DashboardAction): void;
  /** Draws now if anything changed (tests use it instead of waiting for the timer). */
  flush(force?: boolean): void;
  close(): void;
}

export interface DashboardStoreOptions {
  seed?: { url?: string; configFile?: string; startedAt?: number };
  /** 100 ms: the view never draws more than ~10 frames a second. */
  frameMs?: number;
  /** Start the frame timer (tests drive `flush` themselves). */
  timer?: boolean;
  now?: () => number;
  onError(error: unknown): void;
}

const IDLE_REDRAW_MS = 1000;

export function createDashboardStore(events: EventStream, options: DashboardStoreOptions): DashboardStore {
  const now = options.now ?? Date.now;
  const state = createDashboardState(options.seed);
  const listeners = new Set<() => void>();
  let version = 0;
  let dirty = false;
  let lastDraw = 0;
  let closed = false;

  const unsubscribe = events.subscribe(function recordEvent(event) {
    if (closed) return;
    try {
      reduceDashboard(state, event);
      dirty = true;
    } catch (error) {
      // A bug in the view's bookkeeping must never reach the request that emitted the event.
      close();
      options.onError(error);
    }
  });

  function flush(force = false): void {
    if (closed) return;
    const time = now();
    if (!force && !dirty && time - lastDraw < IDLE_REDRAW_MS) return;
    dirty = false;
    lastDraw = time;
    version += 1;
    for (const listener of listeners) listener();
  }

  const timer = options.timer === false ? undefined : setInterval(() => flush(), options.frameMs ?? 100);
  timer?.unref();

  function close(): void {
    if (closed) return;
    closed = true;
    unsubscribe();
    if (timer) clearInterval(timer);
    listeners.clear();
  }

  return {
    state,
    getVersion: () => version,
    subscribe(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    dispatch(action) {
      reduceDashboard(state, action);
      dirty = true;
      flush(true);
    },
    flush,
    close,
  };
}
