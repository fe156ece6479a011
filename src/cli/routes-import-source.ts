/**
 * Finds `routes: [ … ]` and `services: { … }` in a config's TypeScript/JavaScript source, so
 * `gw routes import --write` can add entries as text and leave the rest of the file (comments,
 * imports, formatting) exactly as the user wrote it. A small scanner, not a parser: it skips
 * strings, template literals and comments, tracks bracket depth, and picks the key that sits
 * shallowest (the config object's own, not one inside a route).
 */

export interface LiteralSpan {
  /** Index of the opening bracket. */
  open: number;
  /** Index of the matching closing bracket. */
  close: number;
  /** Index of the last character inside that is not space or comment (the opening bracket when empty). */
  last: number;
  /** Indentation of the line the key is on. */
  keyIndent: string;
  /** Indentation of the first entry on its own line, when there is one. */
  entryIndent: string | undefined;
}

interface Token {
  index: number;
  /** A bracket or punctuation character, `word` for an identifier, `string` for a literal. */
  kind: string;
  /** An identifier's name or a string's content. */
  text: string;
  /** Index of its last character. */
  end: number;
  depth: number;
}

/** The significant tokens of the source (outside comments), with their bracket depth. */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    if (char === '/' && source[i + 1] === '/') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (char === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end === -1 ? source.length : end + 1;
      continue;
    }
    if (char === "'" || char === '"' || char === '`') {
      // A template literal's `${ … }` is read as string text up to the closing backtick: enough
      // to find a config's top-level keys.
      let end = i + 1;
      for (; end < source.length && source[end] !== char; end++) if (source[end] === '\\') end++;
      tokens.push({ index: i, kind: 'string', text: source.slice(i + 1, end), end, depth });
      i = end;
      continue;
    }
    if (/[A-Za-z_$]/.test(char)) {
      const word = /^[\w$]+/.exec(source.slice(i, i + 200))![0];
      tokens.push({ index: i, kind: 'word', text: word, end: i + word.length - 1, depth });
      i += word.length - 1;
      continue;
    }
    if (/\s/.test(char)) continue;
    if (char === '}' || char === ']' || char === ')') depth--;
    tokens.push({ index: i, kind: char, text: char, end: i, depth });
    if (char === '{' || char === '[' || char === '(') depth++;
  }
  return tokens;
}

function lineIndentAt(source: string, index: number): string {
  const start = source.lastIndexOf('\n', index) + 1;
  return /^[ \t]*/.exec(source.slice(start))![0];
}

/**
 * The span of `key: <open> … <close>` at the shallowest depth, or undefined when the source has
 * no such literal (routes built by a function, spread from another file …).
 */
export function findLiteral(source: string, key: string, open: '[' | '{'): LiteralSpan | undefined {
  const tokens = tokenize(source);
  const close = open === '[' ? ']' : '}';
  let best: number | undefined;
  for (let t = 1; t + 2 < tokens.length; t++) {
    const token = tokens[t]!;
    if ((token.kind !== 'word' && token.kind !== 'string') || token.text !== key) continue;
    if (tokens[t + 1]!.kind !== ':' || tokens[t + 2]!.kind !== open) continue;
    // A property of an object literal: after its `{` or a `,`.
    const previous = tokens[t - 1]!.kind;
    if (previous !== '{' && previous !== ',') continue;
    if (best === undefined || token.depth < tokens[best - 2]!.depth) best = t + 2;
  }
  if (best === undefined) return undefined;
  const openToken = tokens[best]!;
  let last = openToken.index;
  for (let t = best + 1; t < tokens.length; t++) {
    const token = tokens[t]!;
    if (token.depth === openToken.depth && token.kind === close) {
      const first = tokens[best + 1]!;
      const entryOnOwnLine =
        first.index !== token.index && source.slice(openToken.index + 1, first.index).includes('\n');
      return {
        open: openToken.index,
        close: token.index,
        last,
        keyIndent: lineIndentAt(source, openToken.index),
        entryIndent: entryOnOwnLine ? lineIndentAt(source, first.index) : undefined,
      };
    }
    last = token.end;
  }
  return undefined;
}

/**
 * Adds entries (one per line) at the end of a literal: a comma after the last entry when it has
 * none, each entry on its own line with a trailing comma, the closing bracket where it was.
 */
export function appendEntries(source: string, span: LiteralSpan, entries: readonly string[]): string {
  const indent = span.entryIndent ?? `${span.keyIndent}  `;
  const empty = span.last === span.open;
  const needsComma = !empty && source[span.last] !== ',';
  // A comment that ends the last entry's line stays with that entry.
  const lineEnd = source.indexOf('\n', span.last);
  const tail = lineEnd === -1 ? '' : source.slice(span.last + 1, lineEnd);
  const insertAt = !empty && /^[ \t]*(\/\/.*|\/\*.*\*\/[ \t]*)$/.test(tail) ? lineEnd : span.last + 1;
  const lines = entries.map((entry) => `\n${indent}${entry},`).join('');
  const before =
    source.slice(0, span.last + 1) + (needsComma ? ',' : '') + source.slice(span.last + 1, insertAt);
  const rest = source.slice(insertAt);
  // An empty literal (`[]`) gets its closing bracket on a line of its own.
  return empty ? `${before}${lines}\n${span.keyIndent}${rest.trimStart()}` : `${before}${lines}${rest}`;
}
