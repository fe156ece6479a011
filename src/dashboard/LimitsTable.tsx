import { Box, Text } from 'ink';
import type { LimitRow } from './dashboard-view.js';
import { fitColumns, type ColumnSpec } from './fit-columns.js';
import { formatCountdown } from './format.js';
import { useColor } from './palette.js';
import { HeaderRow, TableRow } from './TableRow.js';

const columns: ColumnSpec[] = [
  { id: 'caller', title: 'CALLER', width: 10, priority: 0, grow: 1, maxWidth: 20 },
  // The route id (methods, host, path) is long and may be cut; the window beside it is a column of
  // its own so that a long route never cuts it off (issue 15, at 80 columns).
  { id: 'route', title: 'ROUTE', width: 10, priority: 1, grow: 2, maxWidth: 40 },
  { id: 'limit', title: 'LIMIT', width: 12, priority: 0 },
  { id: 'used', title: 'USED', width: 9, priority: 0, align: 'right' },
  { id: 'remaining', title: 'LEFT', width: 5, priority: 3, align: 'right' },
  { id: 'resets', title: 'RESETS IN', width: 9, priority: 2, align: 'right' },
  { id: 'refusals', title: 'REFUSED/1M', width: 10, priority: 4, align: 'right' },
];

function usageColor(row: LimitRow): string {
  const share = row.used / Math.max(1, row.limit);
  return share >= 1 ? 'red' : share >= 0.8 ? 'yellow' : 'green';
}

export function LimitsTable({ rows, width }: { readonly rows: readonly LimitRow[]; readonly width: number }) {
  const color = useColor();
  const fitted = fitColumns(columns, width);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>LIMITS</Text>
        <Text color={color('gray')}> callers closest to their limits</Text>
      </Text>
      <HeaderRow columns={fitted} />
      {rows.map((row) => (
        <TableRow
          key={`${row.routeId} ${row.caller} ${row.policy}`}
          columns={fitted}
          cells={{
            caller: { text: row.caller },
            route: { text: row.routeId },
            limit: { text: row.policy },
            used: { text: `${row.used}/${row.limit}`, color: usageColor(row), bold: true },
            remaining: { text: String(row.remaining) },
            resets: { text: row.resetsInMs > 0 ? formatCountdown(row.resetsInMs) : 'reset' },
            refusals: { text: String(row.refusals), ...(row.refusals > 0 ? { color: 'red' } : {}) },
          }}
        />
      ))}
      {rows.length === 0 ? <Text color={color('gray')}>no caller near a limit</Text> : null}
    </Box>
  );
}
