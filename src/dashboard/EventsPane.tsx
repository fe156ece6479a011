import { Box, Text } from 'ink';
import type { EventLine } from './event-log.js';
import { formatClock } from './format.js';
import { useColor } from './palette.js';

const toneColor: Record<EventLine['tone'], string> = {
  good: 'green',
  bad: 'red',
  warn: 'yellow',
  info: 'cyan',
};

/** The newest gateway events (health, reloads, breakers), newest last, as many as fit. */
export function EventsPane({ lines }: { readonly lines: readonly EventLine[] }) {
  const color = useColor();
  return (
    <Box flexDirection="column">
      <Text bold>EVENTS</Text>
      {lines.map((line, index) => (
        <Text key={index} wrap="truncate-end">
          <Text color={color('gray')}> {formatClock(line.at)} </Text>
          <Text color={color(toneColor[line.tone])}>{line.text}</Text>
        </Text>
      ))}
    </Box>
  );
}
