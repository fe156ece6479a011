import { useInput, useStdin, type Key } from 'ink';
import type { DashboardStore } from './dashboard-store.js';
import type { LiveRequest } from './dashboard-types.js';
import { selectLive } from './dashboard-view.js';
import { findShortcut, type ShortcutAction } from './shortcuts.js';
import type { InspectActions } from '../observe/inspect/dashboard-actions.js';
import type { InspectExtras } from './body-lines.js';

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
  /** What `c` and `R` did to the open request (by its seq): the curl command, the replay's answer. */
  inspect: { seq: number; extras: InspectExtras } | undefined;
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
  inspect: undefined,
};

/** What the keys may ask of the process (`gw dev` gives inspect's when bodies can be kept). */
export interface DashboardActions {
  quit(): void;
  reload(): void;
  inspect?: InspectActions;
}

export interface KeyContext {
  store: DashboardStore;
  actions: DashboardActions;
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
        // A key whose work ends later (R, e) changes the state it finds then, not this one.
        const later = (update: (current: UiState) => UiState) => setUi(update(getUi()));
        const next =
          ui.mode === 'filter'
            ? editFilter(ui, input, key, context)
            : runShortcut(ui, input, key, { ...context, later });
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

type Later = (update: (current: UiState) => UiState) => void;

function runShortcut(ui: UiState, input: string, key: Key, context: KeyContext & { later: Later }): UiState {
  const shortcut = findShortcut(input, key, ui.mode === 'detail' ? 'detail' : 'other');
  if (!shortcut) return ui;
  if (shortcut.action === 'copy-curl' || shortcut.action === 'replay' || shortcut.action === 'export-har')
    return performInspect(shortcut.action, ui, context);
  return perform(shortcut.action, ui, context);
}

function perform(
  action: Exclude<ShortcutAction, 'copy-curl' | 'replay' | 'export-har'>,
  ui: UiState,
  context: KeyContext,
): UiState {
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

/** OSC 52: the terminal puts the text on the clipboard (tmux with set-clipboard, most terminals). */
function copyToClipboard(text: string): void {
  process.stdout.write(`\x1b]52;c;${Buffer.from(text).toString('base64')}\x07`);
}

/** c, R and e: what inspect kept of the requests (bodies, the client's head). */
function performInspect(
  action: 'copy-curl' | 'replay' | 'export-har',
  ui: UiState,
  context: KeyContext & { later: Later },
): UiState {
  const inspect = context.actions.inspect;
  const notice = (text: string) => ({ text, at: context.now() });
  if (!inspect) return { ...ui, notice: notice('bodies are not kept here (inspect.bodies is off)') };
  if (action === 'export-har') {
    inspect.exportHar().then(
      (file) => context.later((current) => ({ ...current, notice: notice(`HAR written to ${file}`) })),
      (error: unknown) =>
        context.later((current) => ({ ...current, notice: notice(`HAR export failed: ${String(error)}`) })),
    );
    return { ...ui, notice: notice('writing HAR…') };
  }
  const entry = ui.detail;
  if (ui.mode !== 'detail' || !entry) return ui;
  const extras = ui.inspect?.seq === entry.seq ? ui.inspect.extras : {};
  if (action === 'copy-curl') {
    const curl = inspect.curl(entry.request);
    if (curl === undefined) return { ...ui, notice: notice('no bodies kept for this request: no curl') };
    copyToClipboard(curl);
    return {
      ...ui,
      detailScroll: 0,
      inspect: { seq: entry.seq, extras: { ...extras, curl } },
      notice: notice('copied as curl (OSC 52)'),
    };
  }
  const settle = (replay: InspectExtras['replay']) =>
    context.later((current) =>
      current.inspect?.seq === entry.seq
        ? { ...current, inspect: { seq: entry.seq, extras: { ...current.inspect.extras, replay } } }
        : current,
    );
  inspect.replay(entry.request).then(
    (answer) => settle({ answer }),
    (error: unknown) => settle({ error: error instanceof Error ? error.message : String(error) }),
  );
  return {
    ...ui,
    inspect: { seq: entry.seq, extras: { ...extras, replay: {} } },
    notice: notice('replaying…'),
  };
}
