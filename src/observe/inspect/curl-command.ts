import type { InspectedBodies } from '../../events/gateway-events.js';
import { redactHeaders, redactQuery } from '../../events/redact.js';
import { redactNames } from './redact-body.js';
import { showBody } from './show-body.js';

/** Not copied into the command: curl frames the body and the connection itself. */
const leftOut = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'expect',
  'te',
  'upgrade',
  'proxy-connection',
]);

/** A POSIX shell word: single quotes, with each ' written as '\''. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The request as the client sent it to gw, as a curl command against gw: method, URL, the
 * client's own headers (credentials redacted, as everywhere), and the body as sent (its named
 * fields masked). A binary or content-encoded body goes through base64 so the bytes survive
 * the shell. A body that was cut says so (curl would send only its first part).
 */
export function curlCommand(method: string, bodies: InspectedBodies): string {
  const head = redactHeaders(bodies.clientHeaders);
  let host = 'localhost';
  const lines: string[] = [];
  let contentType: string | undefined;
  let contentEncoding: string | undefined;
  for (let i = 0; i + 1 < head.length; i += 2) {
    const name = head[i]!.toLowerCase();
    const value = head[i + 1]!;
    if (name === 'host' || name === ':authority') host = value;
    // HTTP/2 pseudo-headers are the request line's parts, not headers.
    if (name.startsWith(':')) continue;
    if (name === 'content-type') contentType = value;
    if (name === 'content-encoding') contentEncoding = value;
    if (leftOut.has(name)) continue;
    lines.push(`-H ${shellQuote(`${head[i]}: ${value}`)}`);
  }
  const request = bodies.request;
  const hasBody = request.size > 0;
  const url = `${bodies.secure ? 'https' : 'http'}://${host}${redactQuery(bodies.clientUrl)}`;
  const parts = ['curl'];
  if (method === 'HEAD') parts.push('--head');
  else if (method !== 'GET' || hasBody) parts.push(`-X ${method}`);
  // curl adds these when the command names none: -H 'Name:' keeps them out, as the client sent none.
  const named = new Set(lines.map((line) => line.slice(4, line.indexOf(':')).toLowerCase()));
  for (const own of ['Accept', 'User-Agent']) if (!named.has(own.toLowerCase())) lines.push(`-H '${own}:'`);
  if (hasBody && contentType === undefined) lines.push(`-H 'Content-Type:'`);
  parts.push(shellQuote(url), ...lines);
  let prefix = '';
  let note = '';
  if (hasBody) {
    // Sent as it went (compressed stays compressed): only the named fields of a text body change.
    const shown = showBody(request, {
      contentType,
      contentEncoding: undefined,
      redact: redactNames(bodies.redact),
      pretty: false,
    });
    if (contentEncoding === undefined && shown?.text !== undefined) {
      parts.push(`--data-binary ${shellQuote(shown.text)}`);
    } else if (request.bytes !== undefined) {
      prefix = `printf %s ${shellQuote(request.bytes.toString('base64'))} | base64 -d | `;
      parts.push('--data-binary @-');
    }
    if (shown?.truncated) note = `# the body was cut at ${shown.keptBytes} of ${shown.size} bytes\n`;
  }
  // The request line on the first line, then one header or option per line.
  const first = parts.findIndex((part) => part.startsWith("'"));
  const line = parts.slice(0, first + 1).join(' ');
  return `${note}${prefix}${[line, ...parts.slice(first + 1)].join(' \\\n  ')}`;
}
