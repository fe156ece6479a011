/**
 * Splits the terminal's rows between the sections. The frame stays one row shorter than the
 * terminal: a frame as tall as the screen makes Ink clear and redraw everything (flicker).
 */
export interface LayoutInput {
  rows: number;
  headerLines: number;
  routes: number;
  limits: number;
}

export interface LayoutPlan {
  routeRows: number;
  liveRows: number;
  limitRows: number;
}

const FOOTER_LINES = 1;
const LIVE_CHROME = 2; // title line + column header
const MAX_LIMIT_ROWS = 5;

export function planLayout({ rows, headerLines, routes, limits }: LayoutInput): LayoutPlan {
  const limitChrome = limits > 0 ? 1 : 0;
  const rest = Math.max(0, rows - 1 - headerLines - FOOTER_LINES - LIVE_CHROME - 1 - limitChrome);
  const limitRows = Math.min(limits, MAX_LIMIT_ROWS, Math.max(limits > 0 ? 1 : 0, Math.floor(rest / 4)));
  const routeRows = Math.min(routes, Math.max(1, Math.floor((rest - limitRows) * 0.4)));
  const liveRows = Math.max(1, rest - limitRows - routeRows);
  return { routeRows, liveRows, limitRows };
}
