import type { ServerResponse } from 'node:http';
import type { SigningKeyStore } from '../state/types.js';
import { publicJwks } from './key-ring.js';

export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * Answers `/.well-known/jwks.json` with the public half of every asymmetric signing key (RFC 7517),
 * so other services can verify gw's tokens. Short caching: after `gw token rotate-key` clients
 * refetch anyway on the unknown kid.
 */
export function sendJwks(res: ServerResponse, signingKeys: SigningKeyStore): void {
  const body = JSON.stringify(publicJwks(signingKeys.current()));
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'public, max-age=60',
  });
  res.end(body);
}
