import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { rename, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { GatewayError } from '../errors.js';
import { matchKey, recordingFileName, type MatchRules, type Recording } from './recording.js';
import { isChunkList } from './stream-recording.js';

/** A recording with the file it came from. */
export interface StoredRecording {
  file: string;
  recording: Recording;
}

/** A near miss: a recording and what about the request differs from it. */
export interface NearMiss {
  file: string;
  differs: string[];
}

/**
 * The recordings of one service's folder, indexed by match key. Read once per config load (a
 * reload re-reads the folder); what gw records while running joins the index at once, so
 * `fallback: 'replay'` can serve what was recorded a minute ago.
 */
export interface RecordingStore {
  readonly dir: string;
  find(request: Recording['request']): StoredRecording | undefined;
  closest(request: Recording['request'], count: number): NearMiss[];
  /** Indexes the recording and writes it atomically (temp file, then rename). */
  save(recording: Recording): Promise<string>;
  readonly size: number;
}

function isRecording(value: unknown): value is Recording {
  if (value === null || typeof value !== 'object') return false;
  const { request, response } = value as Partial<Recording>;
  return (
    typeof request?.method === 'string' &&
    typeof request.path === 'string' &&
    Array.isArray(request.query) &&
    typeof response?.status === 'number' &&
    // A whole answer has a body; a streamed one its chunks (stream-recording.ts).
    (response.chunks === undefined ? typeof response.body === 'object' : isChunkList(response.chunks))
  );
}

function readFolder(dir: string, rules: MatchRules, index: Map<string, StoredRecording>): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const name of names.sort()) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(dir, name);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new GatewayError(
        'GW_REPLAY_FILE_INVALID',
        `Recording ${file} is not valid JSON: ${(error as Error).message}`,
        {
          file,
        },
      );
    }
    if (!isRecording(parsed)) {
      throw new GatewayError(
        'GW_REPLAY_FILE_INVALID',
        `Recording ${file} lacks request { method, path, query } or response { status, body or chunks [{ at, text | base64 }] }`,
        {
          file,
        },
      );
    }
    index.set(matchKey(parsed.request, rules), { file, recording: parsed });
  }
}

function differences(a: Recording['request'], b: Recording['request'], rules: MatchRules): string[] {
  const differs: string[] = [];
  if (a.method !== b.method) differs.push('method');
  if (a.path !== b.path) differs.push('path');
  const query = (q: Array<[string, string]>) =>
    JSON.stringify(q.filter(([n]) => !rules.ignoreQuery.has(n)).sort());
  if (query(a.query) !== query(b.query)) differs.push('query');
  const bodyOnly = (r: Recording['request']) => ({ ...r, method: '', path: '', query: [] });
  if (matchKey(bodyOnly(a), rules) !== matchKey(bodyOnly(b), rules)) differs.push('body');
  return differs;
}

const weight: Record<string, number> = { path: 8, method: 4, query: 2, body: 1 };

export function openRecordingStore(dir: string, rules: MatchRules): RecordingStore {
  const index = new Map<string, StoredRecording>();
  readFolder(dir, rules, index);
  return {
    dir,
    get size() {
      return index.size;
    },
    find: (request) => index.get(matchKey(request, rules)),
    closest(request, count) {
      return [...index.values()]
        .map(({ file, recording }) => ({ file, differs: differences(request, recording.request, rules) }))
        .sort((a, b) => score(a.differs) - score(b.differs) || (a.file < b.file ? -1 : 1))
        .slice(0, count);
    },
    save(recording) {
      const key = matchKey(recording.request, rules);
      const file = path.join(dir, recordingFileName(recording.request, key));
      // Indexed first: a streamed answer is saved once it has reached the client, and the same
      // request sent right after it must find it even before the file is on disk.
      index.set(key, { file, recording });
      return track(writeRecording(dir, file, recording));
    },
  };
}

async function writeRecording(dir: string, file: string, recording: Recording): Promise<string> {
  await mkdir(dir, { recursive: true });
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, JSON.stringify(recording, null, 2) + '\n', { mode: 0o600 });
  await rename(temp, file);
  return file;
}

/**
 * Recordings being written by this process. A streamed answer is written as it ends, which can be
 * the moment gw is asked to stop: shutdown waits for these (recordingsWritten) so that an answer
 * the client got is on disk too.
 */
const writing = new Set<Promise<unknown>>();

function track<T>(write: Promise<T>): Promise<T> {
  writing.add(write);
  const forget = () => void writing.delete(write);
  write.then(forget, forget);
  return write;
}

/** Resolves once every recording being written has been written (or failed), or after `timeoutMs`. */
export async function recordingsWritten(timeoutMs: number): Promise<void> {
  if (writing.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs).unref()));
  await Promise.race([Promise.allSettled([...writing]), gaveUp]);
  clearTimeout(timer);
}

function score(differs: string[]): number {
  return differs.reduce((sum, what) => sum + (weight[what] ?? 0), 0);
}

/** Creates the folder at config load, so a folder gw cannot write is a config-time error. */
export function ensureRecordingFolder(dir: string): void {
  mkdirSync(dir, { recursive: true });
}
