import { Text } from 'ink';
import type { FittedColumn } from './fit-columns.js';
import { fitText } from './format.js';
import { useColor } from './palette.js';

export interface Cell {
  text: string;
  color?: string;
  bold?: boolean;
}

export type Cells = Partial<Record<string, Cell | readonly Cell[]>>;

type Span = Cell;

interface TableRowProps {
  readonly columns: readonly FittedColumn[];
  readonly cells: Cells;
  /** One character before the first column (selection marker). */
  readonly gutter?: string;
  readonly inverse?: boolean;
  readonly bold?: boolean;
}

/** One table line: cells cut to their column, a space between columns, never wrapped. */
export function TableRow({ columns, cells, gutter, inverse = false, bold = false }: TableRowProps) {
  const color = useColor();
  const spans: Span[] = [];
  if (gutter !== undefined) spans.push({ text: gutter });
  columns.forEach((column, index) => {
    if (index > 0) spans.push({ text: ' ' });
    const cell = cells[column.id];
    const parts = cell === undefined ? [] : Array.isArray(cell) ? (cell as readonly Cell[]) : [cell as Cell];
    const [only] = parts;
    if (parts.length === 1 && only) {
      spans.push({ ...only, text: fitText(only.text, column.size, column.align) });
      return;
    }
    let room = column.size;
    parts.forEach((part, partIndex) => {
      if (room <= 0) return;
      const text = (partIndex > 0 ? ' ' : '') + part.text;
      const cut = text.length > room ? fitText(text, room) : text;
      spans.push({ ...part, text: cut });
      room -= cut.length;
    });
    if (room > 0) spans.push({ text: ' '.repeat(room) });
  });
  return (
    <Text wrap="truncate-end" inverse={inverse} bold={bold}>
      {mergeSpans(spans).map((span, index) =>
        span.color === undefined && !span.bold ? (
          span.text
        ) : (
          <Text key={index} color={span.color === undefined ? undefined : color(span.color)} bold={span.bold}>
            {span.text}
          </Text>
        ),
      )}
    </Text>
  );
}

/**
 * Joins neighbouring spans of the same style: most cells are plain, and every Ink node costs
 * layout and drawing time on the gateway's own thread, ten times a second.
 */
function mergeSpans(spans: readonly Span[]): Span[] {
  const merged: Span[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && last.color === span.color && Boolean(last.bold) === Boolean(span.bold))
      last.text += span.text;
    else merged.push({ ...span });
  }
  return merged;
}

/** The column titles, from the same specs the rows use. */
export function HeaderRow({
  columns,
  gutter,
}: {
  readonly columns: readonly FittedColumn[];
  readonly gutter?: string;
}) {
  const cells: Cells = Object.fromEntries(columns.map((column) => [column.id, { text: column.title }]));
  return <TableRow columns={columns} cells={cells} bold {...(gutter === undefined ? {} : { gutter })} />;
}
