import { Box, Text } from 'ink';
import type { LiveRequest } from './dashboard-types.js';
import { fitColumns, type ColumnSpec } from './fit-columns.js';
import { formatClock, formatLatency, formatTarget } from './format.js';
import { statusColor, useColor } from './palette.js';
import { HeaderRow, TableRow } from './TableRow.js';
import type { RequestOutcome } from '../events/index.js';

const columns: ColumnSpec[] = [
  { id: 'time', title: 'TIME', width: 8, priority: 5 },
  { id: 'method', title: 'METHOD', width: 6, priority: 1 },
  { id: 'path', title: 'PATH', width: 16, priority: 0, grow: 3, maxWidth: 48 },
  { id: 'status', title: 'STS', width: 3, priority: 0, align: 'right' },
  { id: 'latency', title: 'LATENCY', width: 7, priority: 2, align: 'right' },
  // Route ids read like `GET /api/users`: room for one at 130 columns, before PATH takes the rest.
  { id: 'route', title: 'ROUTE', width: 12, priority: 6, grow: 2, maxWidth: 26 },
  { id: 'target', title: 'TARGET', width: 8, priority: 7 },
  { id: 'caller', title: 'CALLER', width: 10, priority: 4, grow: 1, maxWidth: 16 },
  // Wide enough at 130 columns for a code such as GW_UPSTREAM_UNREACHABLE.
  { id: 'markers', title: 'MARKERS', width: 10, priority: 3, grow: 3, maxWidth: 30 },
];

/** cache hit · limited · retried · mocked · fault-injected, as short words. */
export function describeMarkers(outcome: RequestOutcome): string {
  const markers: string[] = [];
  if (outcome.cache === 'HIT') markers.push('cache-hit');
  if (outcome.limited) markers.push('limited');
  if (outcome.retries) markers.push(`retried×${outcome.retries}`);
  if (outcome.mocked) markers.push('mocked');
  if (outcome.fault) markers.push(`fault:${outcome.fault}`);
  if (outcome.partial) markers.push('partial');
  // The upstream's answer broke its OpenAPI operation (validate.response 'warn': served anyway).
  if (outcome.drift) markers.push('drift');
  // An answer gw wrote itself (401, 429, 502, 503, 504 …) says which error it was.
  if (outcome.code) markers.push(outcome.code);
  return markers.join(' ');
}

interface LiveRequestsProps {
  readonly entries: readonly LiveRequest[];
  /** How many match (the list may hold more than fit). */
  readonly matching: number;
  /** Set while successes come faster than the list takes them: it shows this many a second (and every error). */
  readonly sampledPerSecond?: number | undefined;
  readonly selectedSeq: number | undefined;
  readonly paused: boolean;
  readonly filter: string;
  readonly width: number;
}

export function LiveRequests({
  entries,
  matching,
  sampledPerSecond,
  selectedSeq,
  paused,
  filter,
  width,
}: LiveRequestsProps) {
  const color = useColor();
  const fitted = fitColumns(columns, width - 1);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>REQUESTS</Text>
        <Text color={color('gray')}> {matching} in the list</Text>
        {sampledPerSecond === undefined ? null : (
          <Text color={color('gray')}> · sampled: {sampledPerSecond} ok/s and every error</Text>
        )}
        {paused ? (
          <Text color={color('yellow')} bold>
            {' '}
            ⏸ PAUSED (p resumes)
          </Text>
        ) : null}
        {filter ? <Text color={color('cyan')}> filter: {filter}</Text> : null}
      </Text>
      <HeaderRow columns={fitted} gutter=" " />
      {entries.length === 0 ? (
        <Text color={color('gray')}>
          {filter ? ' no request matches the filter' : ' waiting for requests…'}
        </Text>
      ) : null}
      {entries.map(({ seq, request }) => {
        const selected = seq === selectedSeq;
        return (
          <TableRow
            key={seq}
            columns={fitted}
            gutter={selected ? '›' : ' '}
            inverse={selected}
            cells={{
              time: { text: formatClock(request.at) },
              method: { text: request.method },
              path: { text: request.path },
              status: { text: String(request.status), color: statusColor(request.status), bold: true },
              latency: { text: formatLatency(request.durationMs) },
              route: { text: request.routeId ?? '—' },
              target: { text: formatTarget(request.target) },
              caller: { text: request.caller ?? '—' },
              markers: { text: describeMarkers(request.outcome), color: 'magenta' },
            }}
          />
        );
      })}
    </Box>
  );
}
