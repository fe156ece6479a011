import type { ConfigErrorSummary } from './dashboard-types.js';

/** A syntax error's code frame is 6 lines; a long stack of import errors is cut after this many. */
const MAX_MESSAGE_LINES = 12;
const MAX_PROBLEMS = 5;

function describeProblem(problem: ConfigErrorSummary['problems'][number]): string {
  const found = [
    problem.expected ? `expected ${problem.expected}` : '',
    problem.received ? `received ${problem.received}` : '',
  ].filter(Boolean);
  const detail = found.length > 0 ? ` (${found.join(', ')})` : '';
  return `${problem.path || '(root)'}: ${problem.message}${detail}${problem.hint ? ` — ${problem.hint}` : ''}`;
}

/**
 * The lines of a rejected config under the banner's title: the whole message (a syntax error's
 * place and code frame included), each problem with its own hint (did-you-mean), then the hint.
 * The file is named once: not again in front of a message that already names it.
 */
export function configBannerLines(error: ConfigErrorSummary): string[] {
  let message = error.message.split('\n');
  // "Could not load /x/gateway.config.ts:" over "/x/gateway.config.ts:14:2: …" says the path twice.
  if (message.length > 1 && error.file && message[0] === `Could not load ${error.file}:`)
    message = message.slice(1);
  if (error.file && !message.some((line) => line.includes(error.file!)))
    message[0] = `${error.file}: ${message[0] ?? ''}`;
  const lines = message.slice(0, MAX_MESSAGE_LINES);
  if (message.length > MAX_MESSAGE_LINES) lines.push(`… ${message.length - MAX_MESSAGE_LINES} more lines`);
  lines.push(...error.problems.slice(0, MAX_PROBLEMS).map(describeProblem));
  if (error.problems.length > MAX_PROBLEMS)
    lines.push(`… and ${error.problems.length - MAX_PROBLEMS} more (run gw check)`);
  if (error.hint) lines.push(`hint: ${error.hint}`);
  return lines;
}
