import { Box, Text } from 'ink';
import type { RouteRow, TargetCell, TargetStatus } from './dashboard-view.js';
import { fitColumns, type ColumnSpec } from './fit-columns.js';
import { formatLatency, formatRate, formatTarget } from './format.js';
import { useColor } from './palette.js';
import { HeaderRow, TableRow, type Cell } from './TableRow.js';

const columns: ColumnSpec[] = [
  { id: 'methods', title: 'METHODS', width: 7, priority: 6, grow: 1, maxWidth: 14 },
  { id: 'path', title: 'PATH', width: 14, priority: 0, grow: 1, maxWidth: 32 },
  { id: 'service', title: 'SERVICE', width: 8, priority: 5, grow: 1, maxWidth: 14 },
  { id: 'rate', title: 'REQ/S', width: 5, priority: 1, align: 'right' },
  { id: 'p50', title: 'P50', width: 5, priority: 7, align: 'right' },
  { id: 'p95', title: 'P95', width: 5, priority: 3, align: 'right' },
  { id: 'p99', title: 'P99', width: 5, priority: 9, align: 'right' },
  { id: 'c4xx', title: '4XX', width: 4, priority: 8, align: 'right' },
  { id: 'c5xx', title: '5XX', width: 4, priority: 4, align: 'right' },
  { id: 'targets', title: 'TARGETS', width: 12, priority: 2, grow: 3 },
];

/** Each state in words, and shorter words for when the column is narrow. */
const statusLabel: Record<TargetStatus, { long: string; short: string; color: string }> = {
  healthy: { long: 'up', short: 'up', color: 'green' },
  down: { long: 'down', short: 'down', color: 'red' },
  open: { long: 'breaker open', short: 'open', color: 'red' },
  'half-open': { long: 'half-open', short: 'half', color: 'yellow' },
  unknown: { long: '?', short: '?', color: 'gray' },
};

function targetCells(targets: readonly TargetCell[], width: number): Cell[] {
  const cells = (form: 'long' | 'short') =>
    targets.map((target) => {
      const label = statusLabel[target.status];
      const inFlight = target.inFlight > 0 ? ` ${target.inFlight}↻` : '';
      return { text: `${formatTarget(target.target)} ${label[form]}${inFlight}`, color: label.color };
    });
  const fits = (list: Cell[]) => list.reduce((sum, cell) => sum + cell.text.length + 1, -1) <= width;
  const long = cells('long');
  if (fits(long)) return long;
  const short = cells('short');
  return fits(short) ? short : [summarizeTargets(targets)];
}

/** `2/2 up` when the targets do not fit one by one (an 80-column terminal). */
function summarizeTargets(targets: readonly TargetCell[]): Cell {
  const up = targets.filter((target) => target.status === 'healthy').length;
  const bad = targets.filter((target) => target.status === 'down' || target.status === 'open').length;
  const color = up === targets.length ? 'green' : bad > 0 ? (up === 0 ? 'red' : 'yellow') : 'gray';
  return { text: `${up}/${targets.length} up`, color };
}

interface RoutesTableProps {
  readonly rows: readonly RouteRow[];
  readonly total: number;
  readonly width: number;
}

export function RoutesTable({ rows, total, width }: RoutesTableProps) {
  const color = useColor();
  const fitted = fitColumns(columns, width);
  const targetsWidth = fitted.find((column) => column.id === 'targets')?.size ?? 0;
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
            targets: row.targets.length === 0 ? { text: '—' } : targetCells(row.targets, targetsWidth),
          }}
        />
      ))}
      {total > rows.length ? <Text color={color('gray')}>… {total - rows.length} more routes</Text> : null}
    </Box>
  );
}
