import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../../errors.js';

/**
 * The most header lines a request may carry: Envoy's `max_headers_count` default, which answers
 * 431 above it too. gw adds at most eight of its own (X-Forwarded-*, X-Real-IP, X-Request-ID and
 * the identity headers), and a Node upstream keeps only its first `maxHeadersCount` lines and drops
 * the rest without a word: a client with ~1,000 lines would push gw's own headers out of the
 * upstream's view. Refusing such heads keeps what an upstream reads within 108 lines.
 */
export const MAX_HEADER_LINES = 100;

/** A refusal of a request head: it is never read further, so the connection goes with it. */
function badHead(message: string, hint: string, status?: number): GatewayError {
  return new GatewayError('GW_BAD_REQUEST', message, { hint, status, headers: { connection: 'close' } });
}

/**
 * What Node's parser lets through but gw must refuse, judged on the head alone:
 * - an HTTP/1.1 request without Host, or with two (RFC 9112 §3.2: "MUST respond with a 400");
 * - two Authorization or Content-Type lines (single-valued fields, RFC 9110 §5.3; nginx answers
 *   400): Node keeps the first and drops the other silently, and the upstream may read the other;
 * - more header lines than MAX_HEADER_LINES (431);
 * - a transfer coding other than chunked (RFC 9112 §6.1: 501): gw would forward it as plain
 *   chunked and lose the coding.
 * One pass over the raw names, looking closely only at names of the three lengths that matter.
 */
export function checkRequestHead(req: IncomingMessage): GatewayError | undefined {
  const raw = req.rawHeaders;
  if (raw.length > MAX_HEADER_LINES * 2) {
    return badHead(
      `The request has ${raw.length / 2} header lines, more than ${MAX_HEADER_LINES}`,
      `Send at most ${MAX_HEADER_LINES} header lines.`,
      431,
    );
  }
  let hosts = 0;
  let authorizations = 0;
  let contentTypes = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const length = name.length;
    if (length === 4) {
      if (name.toLowerCase() === 'host') hosts++;
    } else if (length === 13) {
      if (name.toLowerCase() === 'authorization') authorizations++;
    } else if (length === 12) {
      if (name.toLowerCase() === 'content-type') contentTypes++;
    }
  }
  if (hosts === 0 && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) {
    return badHead(
      'The HTTP/1.1 request has no Host header',
      'Send a Host header (RFC 9112 §3.2); every HTTP/1.1 client does.',
    );
  }
  const repeated =
    hosts > 1 ? 'Host' : authorizations > 1 ? 'Authorization' : contentTypes > 1 ? 'Content-Type' : '';
  if (repeated !== '') {
    return badHead(
      `The request has more than one ${repeated} header line`,
      `Send one ${repeated} line: the gateway and the upstream could each read a different one.`,
    );
  }
  const coding = req.headers['transfer-encoding'];
  if (coding !== undefined && coding.toLowerCase() !== 'chunked') {
    return new GatewayError(
      'GW_TRANSFER_CODING_UNSUPPORTED',
      `The request body is sent with Transfer-Encoding: ${coding}; only chunked is supported`,
      { headers: { connection: 'close' } },
    );
  }
  return undefined;
}
