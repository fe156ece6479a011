import { Box, Text } from 'ink';
import type { GrpcMethodStats } from './grpc-calls.js';
import { fitColumns, type ColumnSpec } from './fit-columns.js';
import { HeaderRow, TableRow } from './TableRow.js';

const columns: ColumnSpec[] = [
  { id: 'method', title: 'gRPC METHOD', width: 20, priority: 0, grow: 1, maxWidth: 50 },
  { id: 'calls', title: 'CALLS', width: 6, priority: 0, align: 'right' },
  { id: 'last', title: 'LAST', width: 18, priority: 1 },
  { id: 'statuses', title: 'GRPC-STATUS', width: 20, priority: 2, grow: 1 },
];

/** OK is green; the statuses a client retries or waits out yellow; the rest red. */
function statusColor(name: string): string {
  if (name === 'OK') return 'green';
  return ['CANCELLED', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'DEADLINE_EXCEEDED'].includes(name)
    ? 'yellow'
    : 'red';
}

export function GrpcCallsTable({
  rows,
  width,
}: {
  readonly rows: readonly GrpcMethodStats[];
  readonly width: number;
}) {
  const fitted = fitColumns(columns, width);
  return (
    <Box flexDirection="column">
      <Text bold>gRPC CALLS</Text>
      <HeaderRow columns={fitted} />
      {rows.map((row) => (
        <TableRow
          key={row.method}
          columns={fitted}
          cells={{
            method: { text: row.method },
            calls: { text: String(row.calls) },
            last: { text: row.last, color: statusColor(row.last), bold: true },
            statuses: { text: [...row.statuses].map(([name, count]) => `${name} ${count}`).join(' · ') },
          }}
        />
      ))}
    </Box>
  );
}
