import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../../errors.js';
import { declaresBody } from '../../proxy/forward-headers.js';

/**
 * What a request Node handed over as an upgrade is. Only WebSockets are proxied, and a WebSocket
 * handshake is a GET without a body (RFC 6455 §4.1); anything else asking for one is answered 400
 * (RFC 6455 §4.2.1) rather than dropped, and its body — already past the parser, where nothing
 * could forward it — is never read as frames. Another Upgrade without a body (curl --http2 asks
 * for h2c) may be ignored (RFC 9110 §7.8): it is served as the plain HTTP/1.1 request it also is.
 */
export function classifyUpgrade(req: IncomingMessage): 'websocket' | 'plain' | GatewayError {
  const websocket = /\bwebsocket\b/i.test(req.headers.upgrade ?? '');
  const body = declaresBody(req.headers);
  if (!body) {
    if (!websocket) return 'plain';
    if (req.method === 'GET') return 'websocket';
  }
  const message = websocket
    ? `A WebSocket handshake is a GET request without a body; this is a ${req.method ?? 'request'}${body ? ' with a body' : ''}`
    : `The gateway switches protocols only for WebSocket handshakes; this ${req.method ?? 'request'} carries a body and Upgrade: ${req.headers.upgrade ?? ''}`;
  return new GatewayError('GW_BAD_REQUEST', message, {
    hint: websocket
      ? 'Open WebSockets with a bodyless GET (RFC 6455 §4.1).'
      : 'Send the request without the Upgrade header.',
    headers: { connection: 'close' },
  });
}
