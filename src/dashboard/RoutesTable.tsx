import { Box, Text } from 'ink';
import type { RouteRow, TargetCell, TargetStatus } from './dashboard-view.js';
import { fitColumns, type ColumnSpec } from './fit-columns.js';
import { formatLatency, formatRate, formatTarget } from './format.js';
import { useColor } from './palette.js';
import { HeaderRow, TableRow, type Cell } from './TableRow.js';

const columns: ColumnSpec[] = [
  { id: 'methods', title: 'METHODS', width: 7, priority: 6, grow: true, maxWidth: 14 },
  { id: 'path', title: 'PATH', width: 10, priority: 0, grow: true, maxWidth: 32 },
  { id: 'service', title: 'SERVICE', width: 9, priority: 5, grow: true, maxWidth: 14 },
  { id: 'rate', title: 'REQ/S', width: 5, priority: 1, align: 'right' },
  { id: 'p50', title: 'P50', width: 6, priority: 7, align: 'right' },
  { id: 'p95', title: 'P95', width: 6, priority: 3, align: 'right' },
  { id: 'p99', title: 'P99', width: 6, priority: 9, align: 'right' },
  { id: 'c4xx', title: '4XX', width: 4, priority: 8, align: 'right' },
  { id: 'c5xx', title: '5XX', width: 4, priority: 4, align: 'right' },
  { id: 'targets', title: 'TARGETS', width: 12, priority: 2, grow: true },
];

const statusLabel: Record<TargetStatus, { text: string; color: string }> = {
  healthy: { text: 'up', color: 'green' },
  down: { text: 'down', color: 'red' },
  open: { text: 'breaker open', color: 'red' },
  'half-open': { text: 'half-open', color: 'yellow' },
  unknown: { text: '?', color: 'gray' },
};

function targetCell(target: TargetCell): Cell {
  const label = statusLabel[target.status];
  const inFlight = target.inFlight > 0 ? ` ${target.inFlight}↻` : '';
  return { text: `${formatTarget(target.target)} ${label.text}${inFlight}`, color: label.color };
}

interface RoutesTableProps {
  readonly rows: readonly RouteRow[];
  readonly total: number;
  readonly width: number;
}

export function RoutesTable({ rows, total, width }: RoutesTableProps) {
  const color = useColor();
  const fitted = fitColumns(columns, width);
  return (
    <Box flexDirection="column">
      <HeaderRow columns={fitted} />
      {rows.length === 0 ? <Text color={color('gray')}>no routes yet</Text> : null}
      {rows.map((row) => (
        <TableRow
          key={row.id}
          columns={fitted}
          cells={{
            methods: { text: row.methods },
            path: { text: row.path },
            service: { text: row.service ?? '—' },
            rate: { text: formatRate(row.ratePerSecond) },
            p50: { text: formatLatency(row.p50) },
            p95: { text: formatLatency(row.p95) },
            p99: { text: formatLatency(row.p99) },
            c4xx: { text: String(row.clientErrors), ...(row.clientErrors > 0 ? { color: 'yellow' } : {}) },
            c5xx: { text: String(row.serverErrors), ...(row.serverErrors > 0 ? { color: 'red' } : {}) },
            targets: row.targets.length === 0 ? { text: '—' } : row.targets.map(targetCell),
          }}
        />
      ))}
      {total > rows.length ? <Text color={color('gray')}>… {total - rows.length} more routes</Text> : null}
    </Box>
  );
}
