import { z } from 'zod';

/**
 * Shared field schemas (the way Kong's typedefs serve its plugins): durations, sizes, URLs,
 * header names. Each parses at the edge into the number the code below it uses.
 */

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const durationPattern = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** '500ms' | '10s' | '1m' | '2h' | '30d' → milliseconds; undefined when it does not read. */
export function parseDuration(text: string): number | undefined {
  const match = durationPattern.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * durationUnits[match[2]!]!);
}

/** A duration as `'500ms'`, `'10s'`, `'1m'`, `'1h'`, `'1d'` or a number of milliseconds. */
export const duration = z
  .union([z.number().nonnegative(), z.string()], { error: "expected a duration like '500ms', '10s' or '1m'" })
  .transform((value, ctx) => {
    if (typeof value === 'number') return value;
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: `expected a duration like '500ms', '10s', '1m' or '1h', found '${value}'`,
      });
      return z.NEVER;
    }
    return ms;
  });

const sizeUnits: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** '512b' | '64kb' | '1mb' → bytes; undefined when it does not read. */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)$/i.exec(text.trim());
  if (!match) return undefined;
  return Math.floor(Number(match[1]) * sizeUnits[match[2]!.toLowerCase()]!);
}

/** A size as `'1mb'`, `'64kb'`, `'512b'` or a number of bytes. */
export const byteSize = z
  .union([z.number().int().nonnegative(), z.string()], {
    error: "expected a size like '1mb', '64kb' or '512b'",
  })
  .transform((value, ctx) => {
    if (typeof value === 'number') return value;
    const bytes = parseSize(value);
    if (bytes === undefined) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: `expected a size like '1mb', '64kb' or '512b', found '${value}'`,
      });
      return z.NEVER;
    }
    return bytes;
  });

/** An absolute http(s) URL. */
export const httpUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { message: "expected an http(s) URL like 'http://127.0.0.1:8001'" },
);

export const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { message: 'expected an HTTP header name' })
  .transform((name) => name.toLowerCase());

export const httpMethod = z
  .string()
  .regex(/^[A-Za-z]+$/, { message: 'expected an HTTP method such as GET' })
  .transform((method) => method.toUpperCase());

/** A function given in a TypeScript or JavaScript config. */
export function fn<T extends (...args: never[]) => unknown>(description: string) {
  return z.custom<T>((value) => typeof value === 'function', {
    message: `expected a function ${description}`,
  });
}
