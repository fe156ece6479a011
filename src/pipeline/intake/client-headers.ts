import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { stripIdentityHeaders } from '../../middleware/identity-headers.js';
import { setForwardedHeaders } from '../../proxy/forward-headers.js';

/**
 * Never removed on a client's say-so: Host routes the request, and the body's framing is the
 * gateway's to judge (without it a DELETE body would reach the upstream as a second request).
 */
const keptDespiteConnection = new Set(['host', 'content-length', 'transfer-encoding']);

/**
 * Removes what the client's Connection header names (RFC 9110 §7.6.1) and the Connection header
 * itself, so that the forwarder has no list left to apply to the headers gw adds next: a client
 * naming `X-User-ID` or `X-Forwarded-For` there could otherwise delete gw's own (the class of
 * Traefik CVE-2024-45410). An upgrade keeps `Connection: Upgrade` and its Upgrade header.
 * A removed header is set to undefined, which every reader of the header object treats as absent.
 */
function dropConnectionOptions(headers: IncomingHttpHeaders, connection: string, upgrade: boolean): void {
  // What almost every client sends names no other header.
  if (connection !== 'keep-alive' && connection !== 'close') {
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase();
      if (name === '' || keptDespiteConnection.has(name) || (upgrade && name === 'upgrade')) continue;
      if (headers[name] !== undefined) headers[name] = undefined;
    }
  }
  headers.connection = upgrade ? 'Upgrade' : undefined;
}

/**
 * Turns the client's headers into those sent upstream, in an order that lets nothing the client
 * sent undo what gw sets: first the client's Connection options go, then the identity headers
 * only a verified credential may set, then gw writes the forwarding facts. `Forwarded` is removed
 * rather than rewritten: X-Forwarded-* already say the same, and two sources could disagree.
 * X-Real-IP is set to the client's address, as nginx setups do, since many frameworks read it.
 */
export function prepareUpstreamHeaders(
  req: IncomingMessage,
  clientIp: string,
  id: string,
  upgrade: boolean,
): void {
  const headers = req.headers;
  const connection = headers.connection;
  if (connection !== undefined) dropConnectionOptions(headers, connection, upgrade);
  stripIdentityHeaders(headers);
  if (headers.forwarded !== undefined) headers.forwarded = undefined;
  setForwardedHeaders(req, headers, clientIp);
  headers['x-real-ip'] = clientIp;
  headers['x-request-id'] = id;
}
