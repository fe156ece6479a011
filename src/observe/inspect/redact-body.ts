import { REDACTED } from '../../events/redact.js';

/**
 * Masks the values of the fields named in inspect.redact, in a JSON body at any depth and in a
 * form body (application/x-www-form-urlencoded), the way src/events/redact.ts masks headers:
 * names stay, values go. Runs only when a body is shown or exported.
 */

/** A parsed JSON value with every named field's value masked (a copy; the input is not edited). */
export function redactJson(value: unknown, names: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((item) => redactJson(item, names));
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = names.has(key.toLowerCase()) ? REDACTED : redactJson(item, names);
  }
  return copy;
}

/**
 * JSON that does not parse (a body cut at maxBodyBytes): each named field's value is masked in the
 * text itself, to the value's end (an object or array to its matching bracket) or the text's end.
 */
export function redactJsonText(text: string, names: ReadonlySet<string>): string {
  if (names.size === 0) return text;
  const key = /"((?:[^"\\]|\\.)*)"\s*:\s*/g;
  let out = '';
  let from = 0;
  for (let match = key.exec(text); match; match = key.exec(text)) {
    if (!names.has(unescapeName(match[1]!).toLowerCase())) continue;
    const start = match.index + match[0].length;
    const end = valueEnd(text, start);
    out += `${text.slice(from, start)}"${REDACTED}"`;
    from = end;
    key.lastIndex = end;
  }
  return out + text.slice(from);
}

/** Where the JSON value starting at `start` ends (exclusive), or the text's length when it is cut. */
function valueEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') {
        inString = false;
        if (depth === 0) return i + 1;
      }
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (depth === 0) return i;
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && (c === ',' || c === ' ' || c === '\n' || c === '\r' || c === '\t')) return i;
  }
  return text.length;
}

function unescapeName(name: string): string {
  try {
    return JSON.parse(`"${name}"`) as string;
  } catch {
    return name;
  }
}

/** `a=1&password=x` → `a=1&password=[redacted]`: pairs as they came, named values masked. */
export function redactForm(text: string, names: ReadonlySet<string>): string {
  if (names.size === 0) return text;
  return text
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      return names.has(decodeName(pair.slice(0, eq)).toLowerCase())
        ? `${pair.slice(0, eq)}=${REDACTED}`
        : pair;
    })
    .join('&');
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/** The names to mask, compared in lowercase. */
export function redactNames(redact: readonly string[]): ReadonlySet<string> {
  return new Set(redact.map((name) => name.toLowerCase()));
}
