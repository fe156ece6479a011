import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/**
 * Hop-by-hop headers belong to one connection and are never forwarded.
 * https://www.rfc-editor.org/rfc/rfc9110#section-7.6.1 (and RFC 2616 §13.5.1 for the classic list)
 */
export const HOP_BY_HOP: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

export const hopByHopNames: ReadonlySet<string> = new Set(HOP_BY_HOP);

/** Connection values, as commonly spelled, whose tokens are all hop-by-hop names or `close`. */
const onlyHopByHop: ReadonlySet<string> = new Set([
  'keep-alive',
  'Keep-Alive',
  'close',
  'Close',
  'upgrade',
  'Upgrade',
]);

/** The header names a Connection header lists (hop-by-hop for this connection), lower-cased. */
export function namedInConnection(connection: unknown): Set<string> | undefined {
  if (typeof connection !== 'string' || connection.length === 0) return undefined;
  // What nearly every client and server sends names no header beyond the hop-by-hop list
  // (Keep-Alive is on it): no Set to build twice a request.
  if (onlyHopByHop.has(connection)) return undefined;
  const names = new Set<string>();
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (name) names.add(name);
  }
  return names;
}

/** Whether a request carries a body (RFC 9112 §6.3: a length or a transfer coding says so). */
export function declaresBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Removes hop-by-hop headers and every header the Connection header names (WebSocket upgrades,
 * which keep Connection and Upgrade, and answers a policy edits as an object).
 */
export function stripHopByHop(headers: IncomingHttpHeaders, keepUpgrade = false): void {
  for (const name of namedInConnection(headers.connection) ?? []) {
    if (!(keepUpgrade && name === 'upgrade')) delete headers[name];
  }
  for (const name in headers) {
    if (!hopByHopNames.has(name)) continue;
    if (keepUpgrade && (name === 'connection' || name === 'upgrade')) continue;
    delete headers[name];
  }
}

/**
 * Sets X-Forwarded-For/-Proto/-Host from what the gateway saw, replacing what the client sent:
 * a client-supplied X-Forwarded-For is a spoofable claim, not a fact the upstream should trust.
 */
export function setForwardedHeaders(
  req: IncomingMessage,
  headers: IncomingHttpHeaders,
  clientIp: string,
): void {
  headers['x-forwarded-for'] = clientIp;
  headers['x-forwarded-proto'] = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const host = req.headers.host;
  if (host !== undefined) headers['x-forwarded-host'] = host;
  else delete headers['x-forwarded-host'];
}

/** The client's address without the IPv4-mapped prefix ("::ffff:127.0.0.1" → "127.0.0.1"). */
export function clientAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** A raw [name, value, name, value …] list as [[name, value] …] (what addTrailers takes). */
export function pairsOf(raw: readonly string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
  return pairs;
}
