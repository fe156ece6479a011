import { useInput, useStdin, type Key } from 'ink';
import type { DashboardStore } from './dashboard-store.js';
import type { LiveRequest } from './dashboard-types.js';
import { selectLive } from './dashboard-view.js';
import { findShortcut, type ShortcutAction } from './shortcuts.js';

export interface UiState {
  mode: 'main' | 'help' | 'detail' | 'filter';
  /** The list as it was when `p` paused it. */
  frozen: LiveRequest[] | undefined;
  selectedSeq: number | undefined;
  detail: LiveRequest | undefined;
  /** First line shown of the open request. */
  detailScroll: number;
  filter: string;
  quitting: boolean;
  notice: { text: string; at: number } | undefined;
}

export const initialUi: UiState = {
  mode: 'main',
  frozen: undefined,
  selectedSeq: undefined,
  detail: undefined,
  detailScroll: 0,
  filter: '',
  quitting: false,
  notice: undefined,
};

export interface KeyContext {
  store: DashboardStore;
  actions: { quit(): void; reload(): void };
  /** The list as shown (filtered, newest first). */
  visible: readonly LiveRequest[];
  now: () => number;
  onCrash(error: unknown): void;
  /** The last scroll position at which the open request's final line still shows. */
  detailMaxScroll: number;
}

/** Lines one scroll key moves the open request. */
const SCROLL_STEP = 5;

/**
 * Keys go through the shortcut table; while typing a filter, keys are text instead (only
 * Ctrl-C still quits). Shortcuts are on only when stdin can do raw mode (a real terminal).
 */
export function useDashboardKeys(
  getUi: () => UiState,
  setUi: (next: UiState) => void,
  context: KeyContext,
): boolean {
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) => {
      try {
        // Read the latest state, not the render's: several keys can arrive before the next frame.
        const ui = getUi();
        const next =
          ui.mode === 'filter' ? editFilter(ui, input, key, context) : runShortcut(ui, input, key, context);
        if (next !== ui) setUi(next);
      } catch (error) {
        context.onCrash(error);
      }
    },
    { isActive: isRawModeSupported },
  );
  return isRawModeSupported;
}

function editFilter(ui: UiState, input: string, key: Key, context: KeyContext): UiState {
  if (key.ctrl && input === 'c') return perform('quit', ui, context);
  if (key.escape) return { ...ui, mode: 'main', filter: '', selectedSeq: undefined };
  if (key.return) return { ...ui, mode: 'main' };
  if (key.backspace || key.delete) return { ...ui, filter: ui.filter.slice(0, -1) };
  if (key.ctrl || key.meta || input === '' || [...input].some((char) => char < ' ')) return ui;
  return { ...ui, filter: ui.filter + input, selectedSeq: undefined };
}

function runShortcut(ui: UiState, input: string, key: Key, context: KeyContext): UiState {
  const shortcut = findShortcut(input, key);
  return shortcut ? perform(shortcut.action, ui, context) : ui;
}

function perform(action: ShortcutAction, ui: UiState, context: KeyContext): UiState {
  const { visible } = context;
  const index = visible.findIndex((entry) => entry.seq === ui.selectedSeq);
  switch (action) {
    case 'quit':
      if (ui.quitting) return ui;
      context.actions.quit();
      return { ...ui, quitting: true };
    case 'pause':
      return { ...ui, frozen: ui.frozen ? undefined : selectLive(context.store.state) };
    case 'clear':
      context.store.dispatch({ type: 'dashboard/clear' });
      return {
        ...ui,
        frozen: ui.frozen ? [] : undefined,
        selectedSeq: undefined,
        detail: undefined,
        mode: ui.mode === 'detail' ? 'main' : ui.mode,
      };
    case 'select-up':
    case 'select-down': {
      if (visible.length === 0) return ui;
      const step = action === 'select-up' ? -1 : 1;
      const nextIndex = index < 0 ? 0 : Math.min(visible.length - 1, Math.max(0, index + step));
      const entry = visible[nextIndex];
      return {
        ...ui,
        selectedSeq: entry?.seq,
        detail: ui.mode === 'detail' ? entry : ui.detail,
        detailScroll: ui.mode === 'detail' ? 0 : ui.detailScroll,
      };
    }
    case 'scroll-up':
    case 'scroll-down': {
      if (ui.mode !== 'detail') return ui;
      const step = action === 'scroll-up' ? -SCROLL_STEP : SCROLL_STEP;
      const scroll = Math.max(0, Math.min(context.detailMaxScroll, ui.detailScroll + step));
      return scroll === ui.detailScroll ? ui : { ...ui, detailScroll: scroll };
    }
    case 'detail': {
      if (ui.mode === 'detail') return { ...ui, mode: 'main' };
      const entry = visible[index] ?? visible[0];
      return entry ? { ...ui, mode: 'detail', detail: entry, selectedSeq: entry.seq, detailScroll: 0 } : ui;
    }
    case 'back':
      if (ui.mode !== 'main') return { ...ui, mode: 'main' };
      // Esc undoes what is in effect: the selection first, then an applied filter.
      return ui.selectedSeq !== undefined ? { ...ui, selectedSeq: undefined } : { ...ui, filter: '' };
    case 'filter':
      return { ...ui, mode: 'filter' };
    case 'reload':
      context.actions.reload();
      return { ...ui, notice: { text: 'reload requested', at: context.now() } };
    case 'help':
      return { ...ui, mode: ui.mode === 'help' ? 'main' : 'help' };
  }
}
