import { STATUS_CODES } from 'node:http';
import type { RequestFinished } from '../events/index.js';
import type { ReplayAnswer } from '../observe/inspect/dashboard-actions.js';
import { viewRequest, type RequestView } from '../observe/inspect/request-view.js';
import type { ShownBody } from '../observe/inspect/show-body.js';
import type { DetailLine } from './detail-lines.js';

/** What the detail view adds for the inspect keys: the copied curl command, the replay's answer. */
export interface InspectExtras {
  curl?: string;
  replay?: { answer?: ReplayAnswer; error?: string };
}

/** Lines of one body the view shows at most; the HAR export (`e`) and /__gw/requests/:id have all. */
const MAX_BODY_LINES = 400;

// Decoded and pretty-printed once per request shown, not once per frame.
const views = new WeakMap<RequestFinished, RequestView>();
function viewOf(request: RequestFinished): RequestView | undefined {
  if (!request.bodies) return undefined;
  let view = views.get(request);
  if (!view) {
    view = viewRequest(request);
    views.set(request, view);
  }
  return view;
}

function describe(body: ShownBody): string {
  const parts = [body.mimeType || 'no content-type', `${body.size} bytes`];
  if (body.decoded) parts.push(`decoded from ${body.decoded}`);
  if (body.truncated && body.keptBytes > 0) parts.push(`TRUNCATED: first ${body.keptBytes} kept`);
  if (body.note) parts.push(body.note);
  return parts.join(', ');
}

function bodyLines(title: string, body: ShownBody | undefined): DetailLine[] {
  if (!body) return [];
  const lines: DetailLine[] = [{ kind: 'dim', text: `  ${title} (${describe(body)}):` }];
  if (body.text !== undefined) {
    const text = body.text.split('\n');
    for (const line of text.slice(0, MAX_BODY_LINES)) lines.push({ kind: 'plain', text: `    ${line}` });
    if (text.length > MAX_BODY_LINES)
      lines.push({
        kind: 'dim',
        text: `    … ${text.length - MAX_BODY_LINES} more lines (e exports them all)`,
      });
    if (body.truncated && body.keptBytes > 0) lines.push({ kind: 'dim', text: '    … [truncated]' });
  } else if (body.base64 !== undefined) {
    lines.push({
      kind: 'dim',
      text: `    (binary: ${body.keptBytes} bytes kept, as base64 in the HAR export)`,
    });
  }
  return lines;
}

/** The answer's body, under what the client got. */
export function answerBodyLines(request: RequestFinished): DetailLine[] {
  return bodyLines('body', viewOf(request)?.response.body);
}

/** The request's body as it went upstream, in a section of its own. */
export function requestBodyLines(request: RequestFinished): DetailLine[] {
  const body = viewOf(request)?.request.body;
  if (!body) return [];
  return [{ kind: 'section', text: 'REQUEST BODY' }, ...bodyLines('body', body)];
}

/** `c`: the request as a curl command (it went to the clipboard too). */
export function curlLines(curl: string | undefined): DetailLine[] {
  if (curl === undefined) return [];
  return [
    { kind: 'section', text: 'COPIED AS CURL (OSC 52 clipboard)' },
    ...curl.split('\n').map((line): DetailLine => ({ kind: 'plain', text: `  ${line}` })),
  ];
}

/** `R`: the new answer, beside the first one's status. */
export function replayLines(request: RequestFinished, replay: InspectExtras['replay']): DetailLine[] {
  if (!replay) return [];
  if (replay.error !== undefined) return [{ kind: 'section', text: `REPLAY FAILED: ${replay.error}` }];
  const answer = replay.answer;
  if (!answer) return [{ kind: 'section', text: 'REPLAYING through gw…' }];
  const status = `${answer.status} ${STATUS_CODES[answer.status] ?? ''}`.trimEnd();
  const lines: DetailLine[] = [
    { kind: 'section', text: `REPLAYED THROUGH GW: ${status} (first answer: ${request.status})` },
  ];
  for (const [name, value] of answer.headers) lines.push({ kind: 'plain', text: `  ${name}: ${value}` });
  lines.push(...bodyLines('body', answer.body));
  return lines;
}
