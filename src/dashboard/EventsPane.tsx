import { Box, Text } from 'ink';
import { describeGatewayEvent, type EventLine, type PaneEvent } from './event-log.js';
import { formatClock } from './format.js';
import { useColor } from './palette.js';

const toneColor: Record<EventLine['tone'], string> = {
  good: 'green',
  bad: 'red',
  warn: 'yellow',
  info: 'cyan',
};

/** The newest gateway events (health, reloads, breakers), newest last, as many as fit. */
export function EventsPane({ events }: { readonly events: readonly PaneEvent[] }) {
  const color = useColor();
  const lines = events.flatMap((event) => describeGatewayEvent(event) ?? []);
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
