import { Box, Text } from 'ink';
import type { RouteSummary } from '../events/index.js';
import type { LimitEntry, LiveRequest } from './dashboard-types.js';
import { explainRequest } from './explain-request.js';
import { formatClock } from './format.js';
import { describeMarkers } from './LiveRequests.js';
import { statusColor, useColor } from './palette.js';

interface RequestDetailProps {
  readonly entry: LiveRequest;
  readonly route: RouteSummary | undefined;
  readonly limit: LimitEntry | undefined;
  readonly now: number;
  /** Lines available; headers are cut to fit. */
  readonly rows: number;
}

type Headers = Record<string, string | string[] | number | undefined> | readonly string[] | undefined;

function headerLines(headers: Headers): string[] {
  const lines: string[] = [];
  if (isHeaderList(headers)) {
    // A flat [name, value, …] list, as the head was sent.
    for (let i = 0; i + 1 < headers.length; i += 2)
      lines.push(`${headers[i]!.toLowerCase()}: ${headers[i + 1]}`);
  } else {
    for (const [name, value] of Object.entries(headers ?? {})) {
      if (value !== undefined)
        lines.push(`${name}: ${Array.isArray(value) ? value.join(', ') : String(value)}`);
    }
  }
  return lines.length > 0 ? lines : ['(none recorded)'];
}

function isHeaderList(headers: Headers): headers is readonly string[] {
  return Array.isArray(headers);
}

export function RequestDetail({ entry, route, limit, now, rows }: RequestDetailProps) {
  const color = useColor();
  const { request } = entry;
  const explained = explainRequest(request, route, limit, now);
  const facts: Array<[string, string]> = [
    ['answered by', explained.answer],
    ...(explained.limit ? [['limit', explained.limit] as [string, string]] : []),
    ['route', explained.route],
    ['target', explained.target],
    ['caller', explained.caller],
    ['timings', explained.timings],
    ['markers', describeMarkers(request.outcome) || '—'],
    ['id', `${request.id} at ${formatClock(request.at)}`],
  ];
  const requestHeaders = headerLines(request.requestHeaders);
  const responseHeaders = headerLines(request.responseHeaders);
  // Title, facts, two header titles, footer hint: the rest is shared by the two header lists,
  // and whatever one of them does not need goes to the other.
  const room = Math.max(2, rows - facts.length - 4);
  const responseWants = Math.min(responseHeaders.length, Math.floor(room / 2));
  const requestRoom = Math.max(1, Math.min(requestHeaders.length, room - responseWants));
  const responseRoom = Math.max(1, room - requestRoom);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end" bold color={color(statusColor(request.status))}>
        {explained.title}
      </Text>
      {facts.map(([label, value]) => (
        <Text key={label} wrap="truncate-end">
          <Text color={color('gray')}>{label.padEnd(12)}</Text>
          {value}
        </Text>
      ))}
      <Text bold>REQUEST HEADERS (as sent upstream)</Text>
      {clip(requestHeaders, requestRoom).map((line, index) => (
        <Text key={`q${index}`} wrap="truncate-end">
          {'  '}
          {line}
        </Text>
      ))}
      <Text bold>RESPONSE HEADERS</Text>
      {clip(responseHeaders, responseRoom).map((line, index) => (
        <Text key={`s${index}`} wrap="truncate-end">
          {'  '}
          {line}
        </Text>
      ))}
      <Text color={color('gray')}>Enter or Esc: back · ↑/↓: neighbouring request</Text>
    </Box>
  );
}

function clip(lines: string[], room: number): string[] {
  if (lines.length <= room) return lines;
  return [...lines.slice(0, room - 1), `… ${lines.length - room + 1} more`];
}
