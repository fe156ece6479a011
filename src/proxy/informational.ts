import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InterimWriter } from '../pipeline/intake/http2-response.js';
import { hopByHopNames } from './forward-headers.js';

/**
 * Relays an upstream's interim answer (100 Continue, 102 Processing, 103 Early Hints …) to the
 * client before the final one: a proxy MUST forward 1xx responses unless the client is HTTP/1.0,
 * which cannot parse them (RFC 9110 §15.2). Node's client reports them as 'information' events
 * (101 never: it is an upgrade, see http-forward.ts). Written as raw bytes on the connection, the
 * way Node's own writeContinue/writeEarlyHints do, so any 1xx and any header (several Link lines,
 * odd but valid values that writeEarlyHints' own check refuses) goes through as sent.
 */
/** What either client reports of an interim answer (Node's 'information' event has these fields). */
export interface Interim {
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly rawHeaders: readonly string[];
}

export function relayInformation(req: IncomingMessage, res: ServerResponse, info: Interim): void {
  // An HTTP/2 client gets it as an interim HEADERS frame, written by its response adapter.
  if ('writeInterim' in res) {
    (res as ServerResponse & InterimWriter).writeInterim(info.statusCode, info.rawHeaders);
    return;
  }
  const socket = res.socket;
  // A pipelined response that is not at the head of the connection yet has no socket.
  if (socket === null || res.headersSent || req.httpVersionMajor !== 1 || req.httpVersionMinor === 0) return;
  let head = `HTTP/1.1 ${info.statusCode} ${info.statusMessage}\r\n`;
  const raw = info.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (!hopByHopNames.has(raw[i]!.toLowerCase())) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  socket.write(head + '\r\n', 'latin1');
}
