import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../errors.js';
import { answeredBy } from '../pipeline/hooks.js';
import type { GatewayContext, Identity, Next, PolicyFactory } from '../pipeline/types.js';
import type { ApiKeyLookup, ApiKeyRecord } from '../state/types.js';
import type { VerifiedToken } from '../identity/token-verifier.js';
import {
  challenge,
  isBearer,
  readCredential,
  tokenVerifierOf,
  type AuthMethod,
  type Credential,
} from './auth-credentials.js';
import { writeIdentityHeaders } from './identity-headers.js';

const keyReasons = {
  unknown: 'The API key is not known',
  revoked: 'The API key was revoked',
  expired: 'The API key expired',
};

/** Checks the credential and scopes, then tells the upstream who is calling (issue 3). */
export const createAuthPolicy: PolicyFactory = (route, build) => {
  const { auth, scopes = [], forwardCredentials = false } = route.config;
  if (auth === undefined || auth === false) {
    if (scopes.length > 0) {
      throw new GatewayError('GW_CONFIG_INVALID', `Route ${route.id} requires scopes but no auth`, {
        problems: [
          {
            path: `routes[${route.id}].scopes`,
            message: 'scopes need auth to check them',
            expected: "auth: 'apiKey' or 'jwt'",
          },
        ],
      });
    }
    return undefined;
  }
  const methods: readonly AuthMethod[] = Array.isArray(auth) ? auth : [auth];
  const keyHeader = build.config.identity.apiKey.header;
  const verifier = methods.includes('jwt') ? tokenVerifierOf(build) : undefined;
  const keys = build.state.keys;
  const { events } = build;
  /**
   * Removes every credential gw reads (the API key header, a bearer token), the verified one too
   * unless forwardCredentials: a second, unchecked credential (a forged `alg: none` token beside a
   * valid key) must never reach an upstream that might trust it (issue 12). Set to undefined
   * rather than deleted: the forwarder leaves it out either way, and `delete` would make the
   * header object a slow dictionary.
   */
  const stripCredentials = (headers: IncomingHttpHeaders, keep: string | undefined) => {
    if (headers[keyHeader] !== undefined && keyHeader !== keep) headers[keyHeader] = undefined;
    const authorization = headers.authorization;
    if (authorization !== undefined && keep !== 'authorization' && isBearer(authorization))
      headers.authorization = undefined;
  };
  const missingChallenge = methods.map((method) => challenge(method, keyHeader)).join(', ');

  const refuse = (ctx: GatewayContext, error: GatewayError, caller?: string): never => {
    answeredBy(ctx, 'auth', error.message);
    if (events.wants('auth-failed')) {
      events.emit({
        type: 'auth-failed',
        at: Date.now(),
        id: ctx.id,
        routeId: route.id,
        reason: error.message,
        caller,
      });
    }
    throw error;
  };

  const keyIdentity = (record: ApiKeyRecord): Identity => {
    keys.touch(record.id);
    const identity: Identity = { kind: 'apiKey', id: record.id, name: record.name, scopes: record.scopes };
    // Set only when the key has one (an absent tier, not `tier: undefined`), without a spread.
    if (record.tier) identity.tier = record.tier;
    return identity;
  };

  const refuseKey = (ctx: GatewayContext, found: Exclude<ApiKeyLookup, { ok: true }>): never => {
    const reason = keyReasons[found.reason];
    const header = challenge('apiKey', keyHeader, { error: 'invalid_key', error_description: reason });
    return refuse(
      ctx,
      new GatewayError('GW_INVALID_CREDENTIALS', reason, { headers: { 'www-authenticate': header } }),
    );
  };

  /**
   * The caller's identity: at once for a known key or a token verified before (the hot path runs
   * no promise), else after a key-store refresh or a full token verification.
   */
  const verify = (ctx: GatewayContext, credential: Credential): Identity | Promise<Identity> => {
    if (credential.method === 'apiKey') {
      const found = keys.find(credential.value);
      if (found.ok) return keyIdentity(found.record);
      if (found.reason !== 'unknown') return refuseKey(ctx, found);
      // A key minted a moment ago may not have reached this process yet: look once more.
      return keys.refresh().then(() => {
        const again = keys.find(credential.value);
        return again.ok ? keyIdentity(again.record) : refuseKey(ctx, again);
      });
    }
    const known = verifier!.verified(credential.value);
    if (known) return tokenIdentity(known);
    return verifier!.verify(credential.value).then((result) => {
      if (result.ok) return tokenIdentity(result.token);
      const header = challenge('jwt', keyHeader, {
        error: 'invalid_token',
        error_description: result.reason,
      });
      return refuse(
        ctx,
        new GatewayError('GW_INVALID_CREDENTIALS', result.reason, {
          headers: { 'www-authenticate': header },
        }),
      );
    });
  };

  const admit = (ctx: GatewayContext, credential: Credential, identity: Identity, next: Next) => {
    const missing =
      scopes.length === 0 ? undefined : scopes.filter((scope) => !identity.scopes.includes(scope));
    if (missing !== undefined && missing.length > 0) {
      const header = challenge(credential.method, keyHeader, {
        error: 'insufficient_scope',
        scope: scopes.join(' '),
      });
      const error = new GatewayError('GW_FORBIDDEN', `Missing scope ${missing.join(', ')}`, {
        headers: { 'www-authenticate': header },
        extensions: { missingScopes: missing },
      });
      return refuse(ctx, error, identity.name);
    }
    ctx.identity = identity;
    writeIdentityHeaders(ctx.upstreamHeaders, identity);
    stripCredentials(ctx.upstreamHeaders, forwardCredentials ? credential.header : undefined);
    return next();
  };

  // Not async: a known caller goes on to the next policy without a promise of its own.
  return function authenticate(ctx, next) {
    const credential = readCredential(ctx.upstreamHeaders, methods, keyHeader);
    if (!credential) {
      const message = `Route ${route.id} needs ${methods.map((m) => (m === 'jwt' ? 'a bearer token' : `an API key in ${keyHeader}`)).join(' or ')}`;
      return refuse(
        ctx,
        new GatewayError('GW_UNAUTHENTICATED', message, {
          headers: { 'www-authenticate': missingChallenge },
        }),
      );
    }
    const identity = verify(ctx, credential);
    return identity instanceof Promise
      ? identity.then((known) => admit(ctx, credential, known, next))
      : admit(ctx, credential, identity, next);
  };
};

function tokenIdentity(token: VerifiedToken): Identity {
  return {
    kind: 'jwt',
    id: `${token.issuer}#${token.subject}`,
    name: token.subject,
    subject: token.subject,
    scopes: token.scopes,
    claims: token.claims,
    ...(token.tier ? { tier: token.tier } : {}),
  };
}
