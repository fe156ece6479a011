import type { EventStream } from '../events/index.js';
import { createDashboardState, reduceDashboard } from './dashboard-state.js';
import type { DashboardAction, DashboardState } from './dashboard-types.js';

/**
 * Connects the event stream to the view without letting one drive the other: each event is
 * folded into the state (O(1)) and marks it dirty; a timer tells the view to draw at most once
 * per frame, and once a second regardless so uptime and countdowns move.
 *
 * Frames are also spaced by what they cost: drawing a big terminal takes Ink tens of
 * milliseconds on the gateway's own thread, so the gap after a frame grows until drawing uses
 * at most ~3 % of it (10 frames a second on a small terminal, fewer on a large one).
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
  /** The view calls this once a frame is on screen, so the next gap can follow its cost. */
  frameDrawn(): void;
  close(): void;
}

export interface DashboardStoreOptions {
  seed?: { url?: string; configFile?: string; startedAt?: number };
  /** 100 ms: the view never draws more than ~10 frames a second. */
  frameMs?: number;
  /** Start the frame timer (tests drive `flush` themselves). */
  timer?: boolean;
  onError(error: unknown): void;
}

const IDLE_REDRAW_MS = 1000;
const FRAME_BUDGET = 0.03;
const MAX_GAP_MS = 2000;

/** Events the view's state never reads (see reduceDashboard): nobody builds them for it. */
const unreadByDashboard = ['request-started', 'upstream-error', 'auth-failed'] as const;

export function createDashboardStore(events: EventStream, options: DashboardStoreOptions): DashboardStore {
  const state = createDashboardState(options.seed);
  const listeners = new Set<() => void>();
  let version = 0;
  let dirty = false;
  let lastDraw = 0;
  let closed = false;
  const frameMs = options.frameMs ?? 100;
  let gapMs = frameMs;
  let drawStartedAt: number | undefined;

  const unsubscribe = events.subscribe(
    function recordEvent(event) {
      if (closed) return;
      try {
        reduceDashboard(state, event);
        dirty = true;
      } catch (error) {
        // A bug in the view's bookkeeping must never reach the request that emitted the event.
        close();
        options.onError(error);
      }
    },
    { skip: unreadByDashboard },
  );

  function flush(force = false): void {
    if (closed) return;
    const started = performance.now();
    if (!force && started - lastDraw < (dirty ? gapMs : Math.max(gapMs, IDLE_REDRAW_MS))) return;
    dirty = false;
    lastDraw = started;
    drawStartedAt = started;
    version += 1;
    for (const listener of listeners) listener();
  }

  function frameDrawn(): void {
    if (drawStartedAt === undefined) return;
    // React renders and Ink draws in the microtask after flush: together they are the cost.
    const cost = performance.now() - drawStartedAt;
    drawStartedAt = undefined;
    gapMs = Math.min(MAX_GAP_MS, Math.max(frameMs, cost / FRAME_BUDGET));
  }

  const timer = options.timer === false ? undefined : setInterval(() => flush(), frameMs);
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
    frameDrawn,
    close,
  };
}
