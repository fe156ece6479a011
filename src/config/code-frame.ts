import { readFileSync } from 'node:fs';

/** Lines shown either side of the line at fault, the way Vite and Babel show a syntax error. */
const CONTEXT_LINES = 2;
/** A minified or generated line would flood the terminal; cut it. */
const MAX_LINE_WIDTH = 120;

function clip(line: string): string {
  return line.length > MAX_LINE_WIDTH ? `${line.slice(0, MAX_LINE_WIDTH - 1)}…` : line;
}

/**
 * The lines around `line:column` of a source text, numbered, with a caret under the column:
 *
 * ```
 *   13 |     { path: '/a', service: 'users' },
 * > 14 |   ]
 *      |   ^
 * ```
 * `line` and `column` count from 1. Empty when the line is not in the text.
 */
export function codeFrame(source: string, line: number, column: number): string[] {
  const lines = source.split(/\r?\n/);
  if (line < 1 || line > lines.length) return [];
  const first = Math.max(1, line - CONTEXT_LINES);
  const last = Math.min(lines.length, line + CONTEXT_LINES);
  const width = String(last).length;
  const frame: string[] = [];
  for (let n = first; n <= last; n++) {
    const text = clip(lines[n - 1]!);
    frame.push(`${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${text}`.trimEnd());
    if (n === line) {
      // Tabs keep their width in the caret line, so the caret lands under the right character.
      const lead = text.slice(0, Math.max(0, column - 1)).replace(/[^\t]/g, ' ');
      frame.push(`  ${' '.repeat(width)} | ${lead}^`);
    }
  }
  return frame;
}

/** The frame of `file:line:column`, read from disk; empty when the file cannot be read. */
export function codeFrameOfFile(file: string, line: number, column: number): string[] {
  try {
    return codeFrame(readFileSync(file, 'utf8'), line, column);
  } catch {
    return [];
  }
}

const placePattern = /(\/[^\s:()]+|[A-Za-z]:\\[^\s:()]+):(\d+):(\d+)/;

/**
 * A message that names a place in a file (`/x/gateway.config.ts:14:2: Expected "}"`) followed by
 * the code frame of that place. The message comes back unchanged when it names no readable place.
 */
export function withCodeFrame(message: string): string {
  const match = placePattern.exec(message);
  if (!match) return message;
  const frame = codeFrameOfFile(match[1]!, Number(match[2]), Number(match[3]));
  return frame.length === 0 ? message : `${message}\n${frame.join('\n')}`;
}
