/** A plain aligned table for terminals and pipes alike. */
export function printTable(
  headers: string[],
  rows: string[][],
  write = (s: string) => process.stdout.write(s),
): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  write([line(headers), ...rows.map(line)].join('\n') + '\n');
}
