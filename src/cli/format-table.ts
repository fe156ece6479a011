import type { ChalkInstance } from 'chalk';

/** Plain aligned columns with a bold header; empty cells show as '-'. */
export function formatTable(
  color: ChalkInstance,
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const cells = rows.map((row) => row.map((cell) => (cell === '' ? '-' : cell)));
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...cells.map((row) => (row[i] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [color.bold(line(headers)), ...cells.map(line)].join('\n');
}

/** '2026-11-27T22:54:46.000Z' → '2026-11-27 22:54' (UTC, as stored). */
export function shortTime(iso: string | undefined): string {
  return iso === undefined ? '' : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}
