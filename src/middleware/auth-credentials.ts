import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedConfig } from '../config/schema.js';
import { API_KEY_PREFIX } from '../identity/api-key-format.js';
import type { RemoteJwksCache, TokenVerifier } from '../identity/token-verifier.js';
import type { BuildContext } from '../pipeline/types.js';
import type { GatewayState } from '../state/types.js';

export type AuthMethod = 'apiKey' | 'jwt';

export interface Credential {
  method: AuthMethod;
  value: string;
  /** The request header it came in, removed before forwarding unless forwardCredentials. */
  header: string;
}

/**
 * The first credential the request carries, in the route's order. An API key sent as a bearer
 * token counts as an API key: clients often put every credential there.
 */
export function readCredential(
  headers: IncomingHttpHeaders,
  methods: readonly AuthMethod[],
  keyHeader: string,
): Credential | undefined {
  const bearer = bearerToken(headers.authorization);
  for (const method of methods) {
    if (method === 'apiKey') {
      const key = headers[keyHeader];
      if (typeof key === 'string' && key.length > 0) return { method, value: key, header: keyHeader };
      if (bearer?.startsWith(API_KEY_PREFIX)) return { method, value: bearer, header: 'authorization' };
    } else if (bearer !== undefined && !(bearer.startsWith(API_KEY_PREFIX) && methods.includes('apiKey'))) {
      return { method, value: bearer, header: 'authorization' };
    }
  }
  return undefined;
}

/** Whether an Authorization value uses the Bearer scheme (RFC 6750 §2.1; scheme names ignore case). */
export function isBearer(authorization: string): boolean {
  return bearerScheme.test(authorization);
}
const bearerScheme = /^Bearer\s/i;

function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

/** RFC 6750 / 7235 challenge parameters; quotes and backslashes are not allowed inside. */
export function challenge(
  method: AuthMethod,
  keyHeader: string,
  params: Record<string, string> = {},
): string {
  const all: Record<string, string> =
    method === 'jwt' ? { realm: 'gw', ...params } : { realm: 'gw', header: keyHeader, ...params };
  const text = Object.entries(all)
    .map(([name, value]) => `${name}="${value.replace(/["\\]/g, "'")}"`)
    .join(', ');
  return `${method === 'jwt' ? 'Bearer' : 'ApiKey'} ${text}`;
}

const verifiers = new WeakMap<ResolvedConfig, TokenVerifier>();
const remoteJwksByState = new WeakMap<GatewayState, RemoteJwksCache>();

/**
 * One verifier per loaded config, shared by its routes (one verification cache); remote JWKS
 * caches belong to the state, so a reload does not refetch every issuer's keys.
 */
export function tokenVerifierOf(build: BuildContext): TokenVerifier {
  let verifier = verifiers.get(build.config);
  if (!verifier) {
    let remoteJwks = remoteJwksByState.get(build.state);
    if (!remoteJwks) {
      remoteJwks = new Map();
      remoteJwksByState.set(build.state, remoteJwks);
    }
    const options = { jwt: build.config.identity.jwt, signingKeys: build.state.signingKeys, remoteJwks };
    verifier = loadedOnDemand(
      import('../identity/token-verifier.js').then((m) => m.createTokenVerifier(options)),
    );
    verifiers.set(build.config, verifier);
  }
  return verifier;
}

/**
 * The verifier and jose with it are imported when a config first has a JWT route, not when gw
 * starts (issue 15: jose is ~50 modules `gw dev` does not need otherwise). The import starts as
 * the route is built, so it is done before the first token arrives; until then, a token waits.
 */
function loadedOnDemand(loading: Promise<TokenVerifier>): TokenVerifier {
  let loaded: TokenVerifier | undefined;
  // A failed import fails each verification (an answer of 500), not the process.
  loading.then((verifier) => (loaded = verifier)).catch(() => {});
  return {
    verified: (token) => loaded?.verified(token),
    verify: (token) => (loaded ? loaded.verify(token) : loading.then((verifier) => verifier.verify(token))),
  };
}
