/**
 * google.api.http path templates (google/api/http.proto, "Path template syntax"):
 *
 *     Template = "/" Segments [ Verb ] ;  Segments = Segment { "/" Segment } ;
 *     Segment  = "*" | "**" | LITERAL | Variable ;  Variable = "{" FieldPath [ "=" Segments ] "}" ;
 *     Verb     = ":" LITERAL ;
 *
 * compiled once per config load into a regular expression with one group per variable.
 */
export interface PathTemplate {
  readonly source: string;
  /** The variables' field paths ('shelf.name'), in the order of the groups. */
  readonly fields: readonly string[];
  /** The ':verb' suffix, '' without one. */
  readonly verb: string;
  /** The variables' values (percent-decoded) by field path, or undefined when the path does not match. */
  match(path: string): Record<string, string> | undefined;
}

export class TemplateSyntaxError extends Error {}

export function compilePathTemplate(source: string): PathTemplate {
  if (!source.startsWith('/')) throw new TemplateSyntaxError(`"${source}" does not start with '/'`);
  const fields: string[] = [];
  let pattern = '';
  let i = 1;
  let verb = '';
  const segments = (inVariable: boolean): string => {
    const parts: string[] = [];
    for (;;) {
      let segment = '';
      if (source.startsWith('**', i)) {
        segment = '.+';
        i += 2;
      } else if (source[i] === '*') {
        segment = '[^/]+';
        i += 1;
      } else if (source[i] === '{') {
        if (inVariable) throw new TemplateSyntaxError(`"${source}" nests a variable in a variable`);
        const close = source.indexOf('}', i);
        if (close < 0) throw new TemplateSyntaxError(`"${source}" has a '{' without '}'`);
        const inner = source.slice(i + 1, close);
        const equals = inner.indexOf('=');
        const field = equals < 0 ? inner : inner.slice(0, equals);
        if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(field))
          throw new TemplateSyntaxError(`"${source}" names no field in {${inner}}`);
        fields.push(field);
        if (equals < 0) {
          segment = '([^/]+)';
          i = close + 1;
        } else {
          const saved = i;
          i = saved + 1 + equals + 1;
          const sub = segments(true);
          if (i !== close)
            throw new TemplateSyntaxError(`"${source}" has an unexpected '${source[i]}' in {${inner}}`);
          segment = `(${sub})`;
          i = close + 1;
        }
      } else {
        const match = /^[^/{}*:]+/.exec(source.slice(i));
        if (!match) throw new TemplateSyntaxError(`"${source}" has an empty segment`);
        segment = escape(match[0]);
        i += match[0].length;
      }
      parts.push(segment);
      if (source[i] === '/') {
        i += 1;
        continue;
      }
      return parts.join('/');
    }
  };
  pattern = segments(false);
  if (source[i] === ':') {
    verb = source.slice(i + 1);
    if (!/^[^/{}*:]+$/.test(verb)) throw new TemplateSyntaxError(`"${source}" has a malformed verb`);
    i = source.length;
  }
  if (i !== source.length) throw new TemplateSyntaxError(`"${source}" has an unexpected '${source[i]}'`);
  const regex = new RegExp(`^/${pattern}${verb ? `:${escape(verb)}` : ''}$`);
  return {
    source,
    fields,
    verb,
    match(path) {
      const found = regex.exec(path);
      if (!found) return undefined;
      const values: Record<string, string> = {};
      for (let n = 0; n < fields.length; n++) values[fields[n]!] = decode(found[n + 1]!);
      return values;
    },
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
