import { Box, Text } from 'ink';
import { useColor } from './palette.js';
import { shortcuts } from './shortcuts.js';

/** The keys, read from the same table the key handler uses. */
export function HelpScreen() {
  const color = useColor();
  return (
    <Box flexDirection="column">
      <Text bold>KEYS</Text>
      {shortcuts.map((shortcut) => (
        <Text key={shortcut.action} wrap="truncate-end">
          {'  '}
          <Text bold color={color('cyan')}>
            {shortcut.keys.padEnd(10)}
          </Text>
          {shortcut.description}
        </Text>
      ))}
      <Text> </Text>
      <Text bold>TARGETS</Text>
      <Text wrap="truncate-end">
        {'  '}up · down (failed health checks) · breaker open · half-open (one trial request) · N↻ in flight
      </Text>
      <Text color={color('gray')}>? or Esc: back</Text>
    </Box>
  );
}
