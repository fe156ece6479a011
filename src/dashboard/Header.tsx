import { Box, Text } from 'ink';
import { configBannerLines } from './config-banner.js';
import type { HeaderView } from './dashboard-view.js';
import { formatClock, formatPercent, formatRate, formatSparkline, formatUptime } from './format.js';
import { useColor } from './palette.js';

/** How many lines the header takes (the layout plans the rest of the screen around it). */
export function headerLines(view: HeaderView): number {
  const error = view.configError;
  const banner = error ? 1 + configBannerLines(error).length : 0;
  return 2 + banner + view.warnings.length;
}

export function Header({ view, width }: { readonly view: HeaderView; readonly width: number }) {
  const color = useColor();
  const sparkWidth = Math.max(0, Math.min(30, width - 60));
  const error = view.configError;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold color={color('cyan')}>
          gw
        </Text>
        <Text> {view.url ?? 'starting…'}</Text>
        {view.configFile ? <Text color={color('gray')}> · {view.configFile}</Text> : null}
        <Text> · up {formatUptime(view.uptimeMs)}</Text>
        {view.shutdown ? (
          <Text color={color('yellow')} bold>
            {' '}
            · shutting down, in-flight requests finish
          </Text>
        ) : null}
      </Text>
      <Text wrap="truncate-end">
        <Text bold>{formatRate(view.ratePerSecond)} req/s</Text>
        {sparkWidth > 0 ? (
          <Text color={color('cyan')}> {formatSparkline(view.series, sparkWidth)}</Text>
        ) : null}
        <Text> · 4xx </Text>
        <Text color={view.clientErrorRate ? color('yellow') : undefined}>
          {formatPercent(view.clientErrorRate)}
        </Text>
        <Text> · 5xx </Text>
        <Text color={view.errorRate ? color('red') : undefined}>{formatPercent(view.errorRate)}</Text>
        {view.lastLoad ? <Text> · {describeLoad(view.lastLoad)}</Text> : null}
      </Text>
      {error ? (
        <Box flexDirection="column">
          <Text wrap="truncate-end" color={color('red')} bold>
            ✖ config rejected at {formatClock(error.at)}, the last good config keeps serving · {error.code}
          </Text>
          {configBannerLines(error).map((line, index) => (
            <Text key={index} wrap="truncate-end" color={color('red')}>
              {'  '}
              {line}
            </Text>
          ))}
        </Box>
      ) : null}
      {view.warnings.map((warning, index) => (
        <Text key={index} wrap="truncate-end" color={color('yellow')}>
          ! {formatClock(warning.at)} {warning.message}
          {warning.hint ? ` · ${warning.hint}` : ''}
        </Text>
      ))}
    </Box>
  );
}

function describeLoad(load: NonNullable<HeaderView['lastLoad']>): string {
  if (load.initial) return `loaded ${formatClock(load.at)} (${Math.round(load.durationMs)} ms)`;
  const { added, removed, changed } = load.changes;
  const names = [
    ...added.map((id) => `+${id}`),
    ...removed.map((id) => `−${id}`),
    ...changed.map((id) => `~${id}`),
  ];
  const what = names.length === 0 ? 'no route changes' : `routes ${names.join(' ')}`;
  return `reloaded ${formatClock(load.at)}: ${what} (${Math.round(load.durationMs)} ms)`;
}
