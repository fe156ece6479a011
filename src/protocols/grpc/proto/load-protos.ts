import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Root } from 'protobufjs';
import { protobufjs } from './protobuf-lib.js';
import { installWellKnownJson } from './well-known-json.js';

/**
 * Loads a service's .proto files with protobufjs (one wrapper for the library: DESIGN.md habit 5).
 * gw brings what nearly every annotated proto imports, so nobody vendors googleapis:
 * google/api/annotations.proto and http.proto, and google/protobuf/descriptor.proto, from the
 * copies protobufjs ships; the other well-known types (timestamp, duration, struct, wrappers …)
 * come from protobufjs's built-in definitions.
 */

const protobufDir = path.dirname(createRequire(import.meta.url).resolve('protobufjs/package.json'));
const shipped = new Set([
  'google/api/annotations.proto',
  'google/api/http.proto',
  'google/protobuf/descriptor.proto',
  'google/protobuf/api.proto',
  'google/protobuf/type.proto',
  'google/protobuf/source_context.proto',
]);

export interface ProtoSources {
  /** Absolute paths of the service's own proto files. */
  readonly files: readonly string[];
  /** Absolute folders imports are looked up in (after the importing file's own folder). */
  readonly includeDirs: readonly string[];
}

export type ProtoLoad =
  | { ok: true; root: Root; files: readonly string[] }
  | { ok: false; message: string; files: readonly string[] };

/** Loads and resolves every type; a failure says which file and, for syntax, line:column. */
export function loadProtos(sources: ProtoSources): ProtoLoad {
  const read = new Set<string>();
  installWellKnownJson();
  const root = new (protobufjs().Root)();
  // protobufjs parses each file right after resolving its path (imports after their importer),
  // so the last path resolved is the one a syntax error is in (its message may not say).
  let current = '';
  root.resolvePath = (origin, target) => {
    const resolved = resolveImport(origin, target, sources.includeDirs);
    if (!resolved.startsWith(protobufDir)) read.add(resolved);
    current = resolved;
    return resolved;
  };
  for (const file of sources.files) {
    if (!existsSync(file)) return { ok: false, message: `no proto file at ${file}`, files: [...read, file] };
  }
  try {
    root.loadSync([...sources.files], { keepCase: false });
    root.resolveAll();
    return { ok: true, root, files: [...read] };
  } catch (error) {
    return { ok: false, message: describeFailure(error, current), files: [...read] };
  }
}

function resolveImport(origin: string, target: string, includeDirs: readonly string[]): string {
  if (path.isAbsolute(target)) return target;
  if (shipped.has(target)) return path.join(protobufDir, target);
  const candidates = [origin ? path.dirname(origin) : undefined, ...includeDirs];
  for (const dir of candidates) {
    if (dir === undefined) continue;
    const file = path.resolve(dir, target);
    if (existsSync(file)) return file;
  }
  // Well-known types resolve by their name (protobufjs's own copies), wherever the path points.
  return path.resolve(candidates.find((dir) => dir !== undefined) ?? '.', target);
}

/**
 * protobufjs says "illegal token 'x' (file, line 5)" or "illegal token 'x', '(' expected (line 5)":
 * gw names the file and adds the column, the token's place on that line, so an editor jumps to
 * it (file:line:col).
 */
function describeFailure(error: unknown, parsing: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const syntax = /^(illegal \w+ '(.*?)'(?:, .*?)?) \((?:(.+), )?line (\d+)\)$/s.exec(message);
  if (syntax) {
    const [, what, token, named, lineText] = syntax;
    const file = named ?? parsing;
    const line = Number(lineText);
    return `${file}:${line}:${columnOf(file, line, token!)}: ${what}`;
  }
  const missing = /^ENOENT: no such file or directory, open '(.+)'$/.exec(message);
  if (missing)
    return `no proto file at ${missing[1]} (an import, looked up beside the importing file and in includeDirs)`;
  return message;
}

function columnOf(file: string, line: number, token: string): number {
  try {
    const text = readFileSync(file, 'utf8').split('\n')[line - 1] ?? '';
    const at = text.indexOf(token);
    return at < 0 ? 1 : at + 1;
  } catch {
    return 1;
  }
}
