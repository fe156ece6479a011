import { Chalk } from 'chalk';
import { formatError, isGatewayError } from '../errors.js';

const color = new Chalk({ level: process.env.NO_COLOR || !process.stderr.isTTY ? 0 : 1 });

/** ✖ message, each problem, then the hint — never a stack trace for an error we know. */
export function formatCliError(error: unknown): string {
  if (isGatewayError(error)) {
    const [first, ...rest] = formatError(error).split('\n');
    return [
      color.red(`✖ ${first}`),
      ...rest.map((line) => (line.trimStart().startsWith('hint:') ? color.cyan(line) : line)),
    ].join('\n');
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return color.red(`✖ gw failed unexpectedly: ${message}`);
}
