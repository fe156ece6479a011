/**
 * The keyboard shortcuts, as data: the help screen, the footer and the key handler all read this
 * one table, so what `?` shows is exactly what the keys do.
 */

/** The parts of Ink's `Key` the table looks at. */
export interface KeyPress {
  ctrl: boolean;
  upArrow: boolean;
  downArrow: boolean;
  return: boolean;
  escape: boolean;
  pageUp: boolean;
  pageDown: boolean;
}

export type ShortcutAction =
  | 'quit'
  | 'pause'
  | 'clear'
  | 'select-up'
  | 'select-down'
  | 'scroll-up'
  | 'scroll-down'
  | 'detail'
  | 'back'
  | 'filter'
  | 'reload'
  | 'copy-curl'
  | 'replay'
  | 'export-har'
  | 'help';

export interface Shortcut {
  /** How the key is written in the help and the footer. */
  keys: string;
  description: string;
  action: ShortcutAction;
  /** Its word in the one-line footer; without one it shows only in `?`. */
  footer?: string;
  /** Only in this view (the open request's keys); elsewhere the key may mean something else. */
  only?: 'detail';
  matches(input: string, key: KeyPress): boolean;
}

export const shortcuts: readonly Shortcut[] = [
  {
    keys: 'q, Ctrl-C',
    description: 'quit (in-flight requests finish first)',
    action: 'quit',
    footer: 'quit',
    matches: (input, key) => input === 'q' || (key.ctrl && input === 'c'),
  },
  {
    keys: 'p',
    description: 'pause / resume the live list (the gateway keeps serving)',
    action: 'pause',
    footer: 'pause',
    matches: (input, key) => input === 'p' && !key.ctrl,
  },
  {
    keys: 'c',
    description: 'in the open request: copy it as a curl command (OSC 52 clipboard, and shown)',
    action: 'copy-curl',
    only: 'detail',
    matches: (input, key) => input === 'c' && !key.ctrl,
  },
  {
    keys: 'R',
    description: 'in the open request: send it through gw again and show the new answer beside the old',
    action: 'replay',
    only: 'detail',
    matches: (input, key) => input === 'R' && !key.ctrl,
  },
  {
    keys: 'e',
    description: 'export the kept requests as HAR to ./gw-<timestamp>.har',
    action: 'export-har',
    matches: (input, key) => input === 'e' && !key.ctrl,
  },
  {
    keys: 'c',
    description: 'clear the live list',
    action: 'clear',
    footer: 'clear',
    matches: (input, key) => input === 'c' && !key.ctrl,
  },
  {
    keys: '↑',
    description: 'select a newer request',
    action: 'select-up',
    matches: (_input, key) => key.upArrow,
  },
  {
    keys: '↓',
    description: 'select an older request',
    action: 'select-down',
    matches: (_input, key) => key.downArrow,
  },
  {
    keys: 'j, PgDn',
    description: 'scroll the open request down',
    action: 'scroll-down',
    matches: (input, key) => (input === 'j' && !key.ctrl) || key.pageDown,
  },
  {
    keys: 'k, PgUp',
    description: 'scroll the open request up',
    action: 'scroll-up',
    matches: (input, key) => (input === 'k' && !key.ctrl) || key.pageUp,
  },
  {
    keys: 'Enter',
    description: 'open / close the selected request (headers, route, timings, why)',
    action: 'detail',
    footer: 'detail',
    matches: (_input, key) => key.return,
  },
  {
    keys: 'Esc',
    description: 'back to the dashboard (closes detail, help, selection; then clears the filter)',
    action: 'back',
    matches: (_input, key) => key.escape,
  },
  {
    keys: '/',
    description: 'filter by path, status (404, 5xx) or caller',
    action: 'filter',
    footer: 'filter',
    matches: (input) => input === '/',
  },
  {
    keys: 'r',
    description: 'reload the config now',
    action: 'reload',
    footer: 'reload',
    matches: (input, key) => input === 'r' && !key.ctrl,
  },
  {
    keys: '?',
    description: 'show / hide these keys',
    action: 'help',
    footer: 'help',
    matches: (input) => input === '?',
  },
];

export function findShortcut(
  input: string,
  key: KeyPress,
  view: 'detail' | 'other' = 'other',
): Shortcut | undefined {
  return shortcuts.find(
    (shortcut) => (shortcut.only === undefined || shortcut.only === view) && shortcut.matches(input, key),
  );
}

/** Footer items such as "q quit", in table order. */
export function footerLabels(): string[] {
  return shortcuts.flatMap((shortcut) =>
    shortcut.footer ? [`${shortcut.keys.split(',')[0]?.trim() ?? shortcut.keys} ${shortcut.footer}`] : [],
  );
}
