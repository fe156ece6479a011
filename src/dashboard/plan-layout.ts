/**
 * Splits the terminal's rows between the sections. The frame stays one row shorter than the
 * terminal: a frame as tall as the screen makes Ink clear and redraw everything (flicker).
 */
export interface LayoutInput {
  rows: number;
  headerLines: number;
  routes: number;
  limits: number;
  /** Lines in the events pane (health changes, reloads, breakers); 0 hides it. */
  events?: number;
}

export interface LayoutPlan {
  routeRows: number;
  liveRows: number;
  limitRows: number;
  eventRows: number;
}

const FOOTER_LINES = 1;
const LIVE_CHROME = 2; // title line + column header
const ROUTE_CHROME = 1; // column header
const LIMIT_CHROME = 2; // title line + column header
const MAX_LIMIT_ROWS = 5;
const EVENT_CHROME = 1; // title line
const MAX_EVENT_ROWS = 4;

export function planLayout({ rows, headerLines, routes, limits, events = 0 }: LayoutInput): LayoutPlan {
  const full = rows - 1 - headerLines - FOOTER_LINES - LIVE_CHROME - ROUTE_CHROME;
  // Events are rare and important (a target went down): a few lines once there are any.
  const showEvents = events > 0 && full - EVENT_CHROME >= 6;
  const eventRows = showEvents ? Math.min(events, MAX_EVENT_ROWS, Math.max(1, Math.floor(full / 6))) : 0;
  const base = full - (showEvents ? EVENT_CHROME + eventRows : 0);
  // On a very short terminal the limits give way first: requests are what people watch.
  const showLimits = limits > 0 && base - LIMIT_CHROME >= 6;
  const rest = Math.max(0, base - (showLimits ? LIMIT_CHROME : 0));
  const limitRows = showLimits ? Math.min(limits, MAX_LIMIT_ROWS, Math.max(1, Math.floor(rest / 4))) : 0;
  const routeRows = Math.min(routes, Math.max(1, Math.floor((rest - limitRows) * 0.4)));
  const liveRows = Math.max(1, rest - limitRows - routeRows);
  return { routeRows, liveRows, limitRows, eventRows };
}
