import type { IncomingHttpHeaders } from 'node:http';
import type { Identity } from '../pipeline/types.js';

/**
 * The headers through which upstreams learn who is calling. A client must never be able to set
 * them: on every route, public ones too, they are removed as the request comes in (before any
 * policy runs), and only the auth policy writes them back, from a verified identity.
 */
export const IDENTITY_HEADERS = { client: 'x-client-id', user: 'x-user-id', scopes: 'x-scopes' } as const;

const spoofable = new Set<string>(Object.values(IDENTITY_HEADERS));
const spoofableLengths = new Set([...spoofable].map((name) => name.length));

/** Removes identity headers, whatever the spelling: servers such as nginx and WSGI treat `_` as `-`. */
export function stripIdentityHeaders(headers: IncomingHttpHeaders): void {
  // Runs on every request: the first letter and the length rule out almost every header cheaply.
  for (const name in headers) {
    if (
      name.charCodeAt(0) === 120 /* x */ &&
      spoofableLengths.has(name.length) &&
      spoofable.has(name.replaceAll('_', '-'))
    )
      delete headers[name];
  }
}

/** Tells the upstream who is calling: the key's name as client, the token's subject as user. */
export function writeIdentityHeaders(headers: IncomingHttpHeaders, identity: Identity): void {
  if (identity.kind === 'apiKey') headers[IDENTITY_HEADERS.client] = identity.name;
  else {
    const client = identity.claims?.client_id ?? identity.claims?.azp;
    if (typeof client === 'string') headers[IDENTITY_HEADERS.client] = client;
    if (identity.subject) headers[IDENTITY_HEADERS.user] = identity.subject;
  }
  if (identity.scopes.length > 0) headers[IDENTITY_HEADERS.scopes] = identity.scopes.join(' ');
}
