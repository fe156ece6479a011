import type { z } from 'zod';
import type { ConfigProblem } from '../errors.js';
import { didYouMean } from './did-you-mean.js';
import { knownKeysAt } from './schema-keys.js';

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

const identifier = /^[A-Za-z_$][\w$]*$/;

/** `['routes', 2, 'service']` → `routes[2].service`, the way a user would write it in code. */
export function formatPath(path: Path): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (identifier.test(String(segment))) text += text ? `.${String(segment)}` : String(segment);
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

function valueAt(input: unknown, path: Path): unknown {
  let value = input;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** A short, one-line picture of what the user wrote. */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 37)}…` : value}'`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length === 0 ? '{}' : `{ ${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', …' : ''} }`;
  }
  return String(value);
}

function received(value: unknown): string | undefined {
  return value === undefined ? undefined : renderValue(value);
}

const expectedPattern = /^expected (.+?)(?:, found .*)?$/s;

/** Zod's default size messages read like internals ("expected array to have >=1 items"). */
function sizeMessage(issue: Extract<Issue, { code: 'too_small' | 'too_big' }>): string {
  const small = issue.code === 'too_small';
  const bound = Number(
    small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum,
  );
  const word = small ? 'at least' : 'at most';
  if (issue.origin === 'array' || issue.origin === 'set')
    return `needs ${word} ${bound} item${bound === 1 ? '' : 's'}`;
  if (issue.origin === 'string') return `needs ${word} ${bound} character${bound === 1 ? '' : 's'}`;
  return `must be ${small ? '≥' : '≤'} ${bound}${issue.inclusive === false ? ' (exclusive)' : ''}`;
}

/** A branch that failed only because the value at the union's own place had another type or literal. */
function rejectsTypeOnly(branch: readonly Issue[]): boolean {
  return branch.every(
    (i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value'),
  );
}

/** How far a branch is from what was written: each unknown key counts, as each other problem does. */
function weight(branch: readonly Issue[]): number {
  return branch.reduce((sum, i) => sum + (i.code === 'unrecognized_keys' ? i.keys.length : 1), 0);
}

/** No branch took the value's type: list every type and literal the union allows. */
function describeRejectedUnion(issue: Extract<Issue, { code: 'invalid_union' }>, value: unknown, at: string) {
  const allowed = new Set<string>();
  const literals: string[] = [];
  for (const i of issue.errors.flat()) {
    if (i.code === 'invalid_type') allowed.add(i.expected === 'array' ? 'a list' : i.expected);
    if (i.code === 'invalid_value')
      for (const v of i.values) {
        allowed.add(typeof v === 'string' ? `'${v}'` : String(v));
        if (typeof v === 'string') literals.push(v);
      }
  }
  const message =
    value === undefined
      ? 'missing'
      : typeof value === 'string' && literals.length > 0
        ? 'not an allowed value'
        : 'wrong type';
  const problem: ConfigProblem = { path: at, message };
  if (allowed.size > 0) problem.expected = [...allowed].join(' | ');
  const found = received(value);
  if (found !== undefined) problem.received = found;
  const suggestion = typeof value === 'string' ? didYouMean(value, literals) : undefined;
  if (suggestion) problem.hint = `did you mean '${suggestion}'?`;
  return problem;
}

/**
 * A misspelt key also leaves the key it was meant to be missing; `windw` → "did you mean
 * 'window'?" says it all, so the "window: missing" beside it goes.
 */
function dropMissingExplainedByTypo(problems: ConfigProblem[]): ConfigProblem[] {
  const meant = new Set(
    problems.flatMap((p) => {
      const match = p.message === 'unknown key' ? /^did you mean '(.+)'\?$/.exec(p.hint ?? '') : null;
      if (!match) return [];
      const parent = p.path.slice(0, Math.max(0, p.path.lastIndexOf('.')));
      return [parent ? `${parent}.${match[1]}` : match[1]!];
    }),
  );
  return problems.filter((p) => !(p.message === 'missing' && meant.has(p.path)));
}

function describeIssue(issue: Issue, path: Path, input: unknown, schema: z.core.$ZodType): ConfigProblem[] {
  const value = valueAt(input, path);
  const at = formatPath(path);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return [{ path: at, message: 'missing', expected: issue.expected }];
      return [{ path: at, message: 'wrong type', expected: issue.expected, received: renderValue(value) }];
    case 'unrecognized_keys': {
      const known = knownKeysAt(schema, path);
      return issue.keys.map((key) => {
        const suggestion = didYouMean(key, known);
        const hint = suggestion ? `did you mean '${suggestion}'?` : `known keys here: ${known.join(', ')}`;
        return { path: formatPath([...path, key]), message: 'unknown key', hint };
      });
    }
    case 'invalid_union': {
      // Zod reports every branch. A branch that refused the value's very type (`false` for an
      // object, a list for a string) says nothing useful; among the others, the one with the
      // fewest problems is the shape the user meant, and its inner problems name the inner field.
      const branches = issue.errors.filter((branch) => !rejectsTypeOnly(branch));
      const best = branches.sort((a, b) => weight(a) - weight(b))[0];
      if (best) return best.flatMap((inner) => describeIssue(inner, [...path, ...inner.path], input, schema));
      return [describeRejectedUnion(issue, value, at)];
    }
    case 'invalid_value': {
      const options = issue.values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v)));
      const problem: ConfigProblem = {
        path: at,
        message: 'not an allowed value',
        expected: options.join(' | '),
      };
      const found = received(value);
      if (found !== undefined) problem.received = found;
      const suggestion =
        typeof value === 'string'
          ? didYouMean(
              value,
              issue.values.filter((v): v is string => typeof v === 'string'),
            )
          : undefined;
      if (suggestion) problem.hint = `did you mean '${suggestion}'?`;
      return [problem];
    }
    case 'too_small':
    case 'too_big': {
      const custom = !/^Too (small|big)/.test(issue.message);
      const problem: ConfigProblem = { path: at, message: custom ? issue.message : sizeMessage(issue) };
      const found = received(value);
      if (found !== undefined) problem.received = found;
      return [problem];
    }
    default: {
      // Our field schemas word their messages "expected X, found Y"; split them so the terminal
      // shows the expectation once and the value as written.
      const match = expectedPattern.exec(issue.message);
      const problem: ConfigProblem = match
        ? { path: at, message: 'invalid value', expected: match[1]! }
        : { path: at, message: issue.message };
      const found = received(value);
      if (found !== undefined) problem.received = found;
      return [problem];
    }
  }
}

/** Every zod issue as a ConfigProblem with a field path, what was expected and what was found. */
export function formatIssues(
  issues: readonly Issue[],
  input: unknown,
  schema: z.core.$ZodType,
): ConfigProblem[] {
  return dropMissingExplainedByTypo(
    issues.flatMap((issue) => describeIssue(issue, issue.path, input, schema)),
  );
}
