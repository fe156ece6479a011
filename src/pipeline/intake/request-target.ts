import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../../errors.js';

/**
 * The absolute form of a request target, `GET http://host:port/path HTTP/1.1`, is what a client
 * sends when gw is its HTTP proxy, and a server MUST accept it (RFC 9112 §3.2.2). The scheme is
 * case-insensitive (RFC 3986 §3.1); the authority ends at the first `/` or `?`. A fragment
 * is never part of a request target, so one makes it no match (the path check refuses it).
 */
const absoluteForm = /^https?:\/\/([^/?#]*)([^#]*)$/i;

/**
 * Turns an absolute-form target into the origin form the rest of the pipeline reads (`req.url`),
 * and makes its authority the Host: RFC 9112 §3.2.2 says the server "MUST ignore the received
 * Host header field (if any) and instead replace it with the host information of the
 * request-target". Returns the refusal for a target that cannot be used; other targets that are
 * not origin-form (`*`) are left for the path check to refuse.
 */
export function acceptAbsoluteForm(req: IncomingMessage, url: string): GatewayError | undefined {
  const match = absoluteForm.exec(url);
  if (!match) return undefined;
  const authority = match[1]!;
  // userinfo in an http(s) URI is deprecated and a recipient should treat it as an error
  // (RFC 9110 §4.2.4); an http(s) URI without a host is invalid (RFC 9110 §4.2.1).
  if (authority === '' || authority.includes('@')) {
    return new GatewayError(
      'GW_BAD_REQUEST',
      'The absolute-form request target has no host, or carries user info',
      {
        hint: 'Send the target as /path, or as http://host[:port]/path without user info.',
        headers: { connection: 'close' },
      },
    );
  }
  const rest = match[2]!;
  req.url = rest === '' ? '/' : rest[0] === '/' ? rest : `/${rest}`;
  req.headers.host = authority;
  return undefined;
}
