/**
 * Column layout for the tables: narrow terminals drop whole columns, least important first,
 * rather than wrapping rows (which would push rows of data off the screen).
 */
export interface ColumnSpec<Id extends string = string> {
  id: Id;
  title: string;
  /** Minimum width in characters. */
  width: number;
  /** Lower is more important; the lowest-priority columns go first when space runs out. */
  priority: number;
  align?: 'left' | 'right';
  /** Weight of its share of the leftover width (none: fixed), up to `maxWidth`. */
  grow?: number;
  maxWidth?: number;
}

export interface FittedColumn<Id extends string = string> extends ColumnSpec<Id> {
  /** Final width. */
  size: number;
}

const GAP = 1;

export function fitColumns<Id extends string>(
  columns: readonly ColumnSpec<Id>[],
  width: number,
): FittedColumn<Id>[] {
  const byImportance = [...columns].sort((a, b) => a.priority - b.priority);
  const kept = new Set<ColumnSpec<Id>>();
  let used = 0;
  for (const column of byImportance) {
    const needed = column.width + (kept.size > 0 ? GAP : 0);
    if (used + needed > width) continue;
    kept.add(column);
    used += needed;
  }
  const fitted = columns
    .filter((column) => kept.has(column))
    .map((column) => ({ ...column, size: column.width }));
  let spare = width - used;
  // Hand out the spare width in rounds, by weight, until it is gone or every column is at its maximum.
  let growing = fitted.filter((column) => (column.grow ?? 0) > 0);
  while (spare > 0 && growing.length > 0) {
    const weights = growing.reduce((sum, column) => sum + (column.grow ?? 0), 0);
    const round = spare;
    for (const column of growing) {
      const room = (column.maxWidth ?? Infinity) - column.size;
      const extra = Math.min(room, spare, Math.max(1, Math.floor((round * (column.grow ?? 0)) / weights)));
      column.size += extra;
      spare -= extra;
    }
    growing = growing.filter((column) => column.size < (column.maxWidth ?? Infinity));
  }
  return fitted;
}
