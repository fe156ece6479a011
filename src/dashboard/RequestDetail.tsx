import { Box, Text } from 'ink';
import type { RouteSummary } from '../events/index.js';
import type { LimitEntry, LiveRequest } from './dashboard-types.js';
import { detailLines, type DetailLine } from './detail-lines.js';
import type { InspectExtras } from './body-lines.js';
import { statusColor, useColor } from './palette.js';

interface RequestDetailProps {
  readonly entry: LiveRequest;
  readonly route: RouteSummary | undefined;
  readonly limit: LimitEntry | undefined;
  readonly now: number;
  /** Lines available; the view scrolls over what does not fit. */
  readonly rows: number;
  /** First line shown (clamped here, so the keys need not know how long the view is). */
  readonly scroll: number;
  /** What c and R added: the curl command, the replay's answer. */
  readonly extras?: InspectExtras;
}

/** How many lines the view has, so the scroll keys can stop at the end. */
export function detailLength(
  entry: LiveRequest,
  route: RouteSummary | undefined,
  limit: LimitEntry | undefined,
  now: number,
  extras?: InspectExtras,
): number {
  return detailLines(entry.request, route, limit, now, extras).length;
}

export function RequestDetail({ entry, route, limit, now, rows, scroll, extras }: RequestDetailProps) {
  const color = useColor();
  const { request } = entry;
  const lines = detailLines(request, route, limit, now, extras);
  // One row for the hint line below.
  const room = Math.max(1, rows - 1);
  const first = Math.max(0, Math.min(scroll, lines.length - room));
  const shown = lines.slice(first, first + room);
  const more = lines.length > room;
  const draw = (line: DetailLine, index: number) => {
    switch (line.kind) {
      case 'title':
        return (
          <Text key={index} wrap="truncate-end" bold color={color(statusColor(request.status))}>
            {line.text}
          </Text>
        );
      case 'fact':
        return (
          <Text key={index} wrap="truncate-end">
            <Text color={color('gray')}>{(line.label ?? '').padEnd(12)}</Text>
            {line.text}
          </Text>
        );
      case 'section':
        return (
          <Text key={index} wrap="truncate-end" bold>
            {line.text}
          </Text>
        );
      case 'dim':
        return (
          <Text key={index} wrap="truncate-end" color={color('gray')}>
            {line.text}
          </Text>
        );
      default:
        return (
          <Text key={index} wrap="truncate-end">
            {line.text}
          </Text>
        );
    }
  };
  return (
    <Box flexDirection="column">
      {shown.map((line, index) => draw(line, first + index))}
      <Text color={color('gray')} wrap="truncate-end">
        {more
          ? `lines ${first + 1}–${first + shown.length} of ${lines.length} · j/k PgDn/PgUp scroll · `
          : ''}
        Enter or Esc: back · ↑/↓: neighbouring request{request.bodies ? ' · c curl · R replay · e HAR' : ''}
      </Text>
    </Box>
  );
}
