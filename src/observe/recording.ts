import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { redactHeaders, redactQuery, REDACTED } from '../events/redact.js';

/**
 * One recorded exchange as it sits on disk (issue 17, item 3): readable JSON a developer can open,
 * diff and edit. Bodies are JSON values when they were JSON, UTF-8 text when they were text, else
 * base64, so replay gives back the very bytes the upstream sent.
 */
export interface RecordedBody {
  encoding: 'json' | 'utf8' | 'base64';
  /** A JSON value for 'json', else a string. */
  data: unknown;
}

/**
 * One piece of a streamed answer: `at` is when it came, in ms after the answer's head, and its
 * bytes as UTF-8 text when they are, else base64 (a compressed stream, or a character split
 * between two chunks).
 */
export type RecordedChunk = { at: number; text: string } | { at: number; base64: string };

export interface Recording {
  version: 1;
  request: {
    method: string;
    path: string;
    /** Query parameters in order, secret values redacted. */
    query: Array<[string, string]>;
    headers: Record<string, string | string[]>;
    body?: RecordedBody;
  };
  response: {
    status: number;
    headers: Record<string, string | string[]>;
    /** A whole answer (it came with a Content-Length). */
    body?: RecordedBody;
    /** A streamed answer (an event stream, NDJSON, any answer without a Content-Length), in order. */
    chunks?: RecordedChunk[];
    /** Streamed: when the answer ended (or was cut), in ms after its head. */
    endedAt?: number;
    /** Streamed: why the file holds less than the whole answer; absent when it holds all of it. */
    cut?: string;
  };
}

/** What a request is matched on, after the service's ignore rules. */
export interface MatchRules {
  ignoreQuery: ReadonlySet<string>;
  /** Dot paths of JSON body fields left out of the match (`user.requestId`). */
  ignoreBody: readonly string[];
}

/** Headers that describe a connection or a single transfer, not the answer itself. */
const transferHeaders = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'date',
  'trailer',
  'upgrade',
  'proxy-connection',
]);
/** Request headers that say nothing about what was asked (they differ on every run). */
const noiseRequestHeaders = new Set(['host', 'user-agent', 'x-request-id', 'traceparent', 'tracestate']);

function isJsonType(headers: IncomingHttpHeaders | Record<string, string | string[]>): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && /^application\/(?:[\w.+-]+\+)?json\b/i.test(type);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body in its most readable lossless form. */
export function encodeBody(body: Buffer, headers: IncomingHttpHeaders): RecordedBody {
  const compressed = headers['content-encoding'] !== undefined && headers['content-encoding'] !== 'identity';
  if (!compressed) {
    let text: string | undefined;
    try {
      text = utf8.decode(body);
    } catch {
      text = undefined;
    }
    if (text !== undefined && isJsonType(headers) && text.length > 0) {
      try {
        const value: unknown = JSON.parse(text);
        // Only when re-serialising gives the same bytes back: replay must be byte for byte.
        if (JSON.stringify(value) === text) return { encoding: 'json', data: value };
      } catch {
        // Not JSON after all: kept as text below.
      }
    }
    if (text !== undefined) return { encoding: 'utf8', data: text };
  }
  return { encoding: 'base64', data: body.toString('base64') };
}

export function decodeBody(body: RecordedBody | undefined): Buffer {
  if (!body) return Buffer.alloc(0);
  if (body.encoding === 'json') return Buffer.from(JSON.stringify(body.data), 'utf8');
  return Buffer.from(String(body.data), body.encoding === 'base64' ? 'base64' : 'utf8');
}

/** Headers worth keeping in a file: no transfer details, credentials redacted. */
export function selectHeaders(
  headers: IncomingHttpHeaders,
  kind: 'request' | 'response',
): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(redactHeaders(headers))) {
    if (value === undefined || transferHeaders.has(name)) continue;
    if (kind === 'request' && (noiseRequestHeaders.has(name) || name.startsWith('x-forwarded-'))) continue;
    kept[name] = value;
  }
  return kept;
}

/** Whether a header was redacted on the way to disk (replay does not send a placeholder). */
export function isRedacted(value: string | string[]): boolean {
  return (Array.isArray(value) ? value : [value]).some((v) => v.includes(REDACTED));
}

/** The query's pairs with secret values redacted, so the files and the match never hold a token. */
export function queryPairs(search: string): Array<[string, string]> {
  if (search.length <= 1) return [];
  return [...new URLSearchParams(redactQuery(`?${search.replace(/^\?/, '')}`).slice(1))];
}

function dropPath(value: unknown, path: readonly string[]): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const [head, ...rest] = path;
  const record = value as Record<string, unknown>;
  if (!(head! in record)) return value;
  const copy = { ...record };
  if (rest.length === 0) delete copy[head!];
  else copy[head!] = dropPath(copy[head!], rest);
  return copy;
}

/** JSON with object keys sorted: two bodies that differ only in key order match. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

function bodyForMatch(body: RecordedBody | undefined, rules: MatchRules): string {
  if (!body) return '';
  if (body.encoding !== 'json') return createHash('sha256').update(decodeBody(body)).digest('hex');
  let value = body.data;
  for (const path of rules.ignoreBody) value = dropPath(value, path.split('.'));
  return canonicalJson(value);
}

/** The request's identity for matching: method, path, query (minus ignored names, sorted) and body. */
export function matchKey(request: Recording['request'], rules: MatchRules): string {
  const query = request.query
    .filter(([name]) => !rules.ignoreQuery.has(name))
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : av > bv ? 1 : 0) : a < b ? -1 : 1));
  const text = JSON.stringify([request.method, request.path, query, bodyForMatch(request.body, rules)]);
  return createHash('sha256').update(text).digest('hex');
}

/** `GET-users_42-1a2b3c4d.json`: readable, stable across runs, distinct per match key. */
export function recordingFileName(request: Recording['request'], key: string): string {
  const slug =
    request.path
      .split('/')
      .filter(Boolean)
      .join('_')
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .slice(0, 80) || 'root';
  return `${request.method}-${slug}-${key.slice(0, 10)}.json`;
}
