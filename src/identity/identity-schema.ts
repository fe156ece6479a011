import { z } from 'zod';
import { byteSize, duration, headerName, httpUrl } from '../config/fields.js';

/** The issuer and audience gw's own tokens carry; `gw token issue` and the gateway agree on them. */
export const DEFAULT_ISSUER = 'gw';
export const DEFAULT_AUDIENCE = 'gw';

const trustedIssuer = z.strictObject({
  issuer: z.string().min(1).describe("The external issuer's `iss`, e.g. https://idp.example.com/"),
  audience: z
    .union([z.string(), z.array(z.string()).min(1)], { error: 'expected an audience or a list of them' })
    .describe('Audience the tokens must carry (`aud`)'),
  jwksUri: httpUrl.describe("URL of the issuer's JWKS; fetched, cached and refetched on an unknown kid"),
  // Only asymmetric algorithms: a remote JWKS publishes public keys, never shared secrets.
  algorithms: z
    .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']))
    .min(1)
    .default(['RS256', 'ES256', 'EdDSA'])
    .describe('Algorithms accepted from this issuer'),
  cacheMaxAge: duration
    .default(600_000)
    .describe('How long a fetched JWKS is trusted before it is fetched again'),
  cooldown: duration
    .default(30_000)
    .describe(
      'Least time between two JWKS fetches, failed ones included: unknown kids and a down issuer cost one fetch per cooldown',
    ),
  jwksTimeout: duration
    .default(3_000)
    .describe('How long one JWKS fetch may take; a token waiting on a slower issuer gets 401'),
  jwksMaxSize: byteSize
    .default(1024 * 1024)
    .describe("Largest JWKS read; the fetch is abandoned past it, e.g. '1mb'"),
});

const jwtSchema = z.strictObject({
  issuer: z.string().min(1).default(DEFAULT_ISSUER).describe('`iss` of tokens gw signs and accepts'),
  audience: z.string().min(1).default(DEFAULT_AUDIENCE).describe('`aud` of tokens gw signs and accepts'),
  algorithms: z
    .array(z.enum(['HS256', 'ES256', 'EdDSA']))
    .min(1)
    .default(['HS256', 'ES256', 'EdDSA'])
    .describe("Algorithms accepted for gw's own tokens; anything else (and `none`) is refused"),
  clockSkew: duration.default(30_000).describe('Tolerance for exp, nbf and iat between clocks'),
  maxLifetime: duration
    .optional()
    .describe(
      "Longest a token may live (exp - iat, or exp - now without iat), e.g. '1h'; longer ones get 401. " +
        'Unset: any exp up to the year 10000 (a non-finite exp such as 1e309 is always refused)',
    ),
  tierClaim: z.string().min(1).default('tier').describe('Token claim naming the rate-limit tier'),
  trust: z.array(trustedIssuer).default([]).describe('External issuers (a real IdP) accepted beside gw'),
});

export const identitySchema = z
  .strictObject({
    apiKey: z
      .strictObject({
        header: headerName.default('x-api-key').describe('Request header that carries an API key'),
      })
      .prefault({}),
    jwt: jwtSchema.prefault({}),
  })
  .describe('How credentials are read and checked; the defaults fit keys and tokens gw mints itself');

export type IdentityConfig = z.output<typeof identitySchema>;
export type JwtConfig = IdentityConfig['jwt'];

/** The defaults, for code that runs without a config (the CLI in a folder without one). */
export const defaultIdentityConfig: IdentityConfig = identitySchema.parse({ apiKey: {}, jwt: {} });
