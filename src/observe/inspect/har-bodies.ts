import type { RequestFinished } from '../../events/gateway-events.js';
import { toEntry, type HarEntry } from '../har-log.js';
import { headerValue, viewRequest } from './request-view.js';
import type { ShownBody } from './show-body.js';

/** A HAR entry with the bodies inspect kept (HAR 1.2 `postData` and `content.text`). */
export type HarEntryWithBodies = HarEntry & {
  request: HarEntry['request'] & {
    postData?: { mimeType: string; text: string; params: []; comment?: string };
  };
  response: HarEntry['response'] & {
    content: HarEntry['response']['content'] & { text?: string; encoding?: 'base64'; comment?: string };
  };
};

/** Says what a reader of the HAR cannot see from the text alone: cut, decoded, or no longer kept. */
function commentOf(body: ShownBody): string | undefined {
  const notes: string[] = [];
  if (body.truncated && body.keptBytes > 0)
    notes.push(`truncated: the first ${body.keptBytes} of ${body.size} bytes (inspect.maxBodyBytes)`);
  if (body.decoded) notes.push(`decoded from ${body.decoded}`);
  if (body.note) notes.push(body.note);
  return notes.length > 0 ? notes.join('; ') : undefined;
}

/**
 * The entry with its bodies, as shown everywhere else: decoded, named fields and credential
 * headers redacted, JSON as it was sent (not re-indented) unless a field had to be masked.
 * Binary answers go as base64 (`encoding: 'base64'`, as HAR 1.2 provides); HAR has no such flag
 * for a request body, so a binary one goes as base64 text with a comment that says so.
 */
export function withBodies(entry: HarEntry, event: RequestFinished): HarEntryWithBodies {
  if (!event.bodies) return entry;
  const view = viewRequest(event, false);
  const result: HarEntryWithBodies = {
    ...entry,
    request: { ...entry.request },
    response: { ...entry.response },
  };
  const sent = view.request.body;
  if (sent) {
    const comment = [commentOf(sent), sent.base64 !== undefined ? 'text is base64' : undefined]
      .filter((part) => part !== undefined)
      .join('; ');
    result.request.postData = {
      mimeType: headerValue(view.request.headers, 'content-type') ?? '',
      text: sent.text ?? sent.base64 ?? '',
      params: [],
      ...(comment ? { comment } : {}),
    };
    result.request.bodySize = sent.size;
  }
  const answer = view.response.body;
  if (answer) {
    const comment = commentOf(answer);
    const text = answer.text ?? answer.base64;
    result.response.content = {
      ...entry.response.content,
      // HAR's content.size is the body's length as decoded (known when it was kept whole).
      size:
        answer.decoded === undefined || answer.truncated
          ? answer.size
          : text === undefined
            ? answer.size
            : answer.text !== undefined
              ? Buffer.byteLength(answer.text)
              : Buffer.from(text, 'base64').length,
      ...(text !== undefined ? { text } : {}),
      ...(answer.base64 !== undefined ? { encoding: 'base64' as const } : {}),
      ...(comment ? { comment } : {}),
    };
    result.response.bodySize = answer.size;
  }
  return result;
}

/** A HAR 1.2 document of these requests (oldest first), bodies included where kept. */
export function harDocument(events: readonly RequestFinished[]) {
  return {
    log: {
      version: '1.2' as const,
      creator: { name: 'gw', version: '0.1.0' },
      entries: events.map((event) => withBodies(toEntry(event), event)),
    },
  };
}
