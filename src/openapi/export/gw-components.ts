import type { ResolvedConfig, ResolvedRoute } from '../../config/schema.js';
import { errorCatalogue, type ErrorCode } from '../../errors.js';

/**
 * What gw itself adds to every route it publishes in /__gw/openapi.json: its problem+json errors
 * (RFC 9457), the rate-limit headers it sends (draft-ietf-httpapi-ratelimit-headers, as
 * src/middleware/rate-limit.ts writes them) and the credentials its auth policy reads.
 */

type Json = Record<string, unknown>;

const problemRef = { $ref: '#/components/schemas/Problem' };
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** The statuses gw answers itself, each a shared response component. */
const gwResponses = {
  GwRequestInvalid: { status: '400', code: 'GW_REQUEST_INVALID', headers: [] },
  GwUnauthorized: { status: '401', code: 'GW_UNAUTHENTICATED', headers: ['WWW-Authenticate'] },
  GwForbidden: { status: '403', code: 'GW_FORBIDDEN', headers: [] },
  GwPayloadTooLarge: { status: '413', code: 'GW_BODY_TOO_LARGE', headers: [] },
  GwTooManyRequests: {
    status: '429',
    code: 'GW_RATE_LIMITED',
    headers: ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy', 'Retry-After'],
  },
  GwBadGateway: { status: '502', code: 'GW_UPSTREAM_UNREACHABLE', headers: [] },
  GwServiceUnavailable: { status: '503', code: 'GW_NO_HEALTHY_TARGET', headers: [] },
  GwGatewayTimeout: { status: '504', code: 'GW_UPSTREAM_TIMEOUT', headers: [] },
} satisfies Record<string, { status: string; code: ErrorCode; headers: string[] }>;
export type GwResponseName = keyof typeof gwResponses;

/** Other codes a status may carry, named in its description so a reader knows them all. */
const alsoCodes: Partial<Record<GwResponseName, ErrorCode[]>> = {
  GwUnauthorized: ['GW_INVALID_CREDENTIALS'],
  GwBadGateway: [
    'GW_UPSTREAM_RESET',
    'GW_UPSTREAM_FAILED',
    'GW_UPSTREAM_BAD_RESPONSE',
    'GW_RESPONSE_INVALID',
  ],
  GwServiceUnavailable: ['GW_CIRCUIT_OPEN', 'GW_STORE_UNAVAILABLE'],
  GwGatewayTimeout: ['GW_UPSTREAM_CONNECT_TIMEOUT'],
};

const headers: Record<string, Json> = {
  'RateLimit-Limit': { description: 'Requests allowed in the window', schema: { type: 'integer' } },
  'RateLimit-Remaining': { description: 'Requests left in the window', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until the window resets', schema: { type: 'integer' } },
  'RateLimit-Policy': {
    description: 'The limits that apply, e.g. `10;w=60`',
    schema: { type: 'string' },
  },
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
  'WWW-Authenticate': {
    description: 'The challenge: `ApiKey realm="gw", header="…"` or `Bearer realm="gw"`',
    schema: { type: 'string' },
  },
};

const problemSchema: Json = {
  type: 'object',
  description: 'An RFC 9457 problem: how gw answers every error it raises. Switch on `code`.',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: {
      type: 'string',
      description: 'urn:gw:problem:<code>',
      examples: ['urn:gw:problem:GW_RATE_LIMITED'],
    },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', description: 'What happened, for a person' },
    hint: { type: 'string', description: 'What to do about it' },
    code: { type: 'string', enum: Object.keys(errorCatalogue) },
    instance: { type: 'string', description: 'The request path' },
    requestId: { type: 'string', description: 'The X-Request-Id of the request' },
  },
  additionalProperties: true,
};

function responseComponent(name: GwResponseName): Json {
  const { code, headers: names } = gwResponses[name];
  const entry = errorCatalogue[code];
  const codes = [code, ...(alsoCodes[name] ?? [])];
  return {
    description: `${entry.title} (gw: ${codes.join(', ')})`,
    ...(names.length > 0 ? { headers: Object.fromEntries(names.map((h) => [h, headerRef(h)])) } : {}),
    content: {
      'application/problem+json': {
        schema: problemRef,
        example: {
          type: `urn:gw:problem:${code}`,
          title: entry.title,
          status: entry.status,
          hint: entry.hint,
          code,
        },
      },
    },
  };
}

export type AuthMethod = 'apiKey' | 'jwt';
const schemeNames: Record<AuthMethod, string> = { apiKey: 'apiKey', jwt: 'bearerJwt' };

/** The auth methods a route accepts ([] when it is public). */
export function authMethodsOf(route: ResolvedRoute): AuthMethod[] {
  const { auth } = route;
  if (auth === undefined || auth === false) return [];
  return Array.isArray(auth) ? [...auth] : [auth];
}

/** Any one of the route's methods will do (OR); scopes are listed as the requirement's roles (3.1). */
export function securityOf(route: ResolvedRoute): Array<Record<string, string[]>> {
  return authMethodsOf(route).map((method) => ({ [schemeNames[method]]: [...(route.scopes ?? [])] }));
}

/** The shared components: Problem, gw's responses and headers, and the schemes the routes use. */
export function gwComponents(config: ResolvedConfig, used: ReadonlySet<AuthMethod>): Json {
  const schemes: Record<string, Json> = {};
  if (used.has('apiKey')) {
    schemes[schemeNames.apiKey] = {
      type: 'apiKey',
      in: 'header',
      name: config.identity.apiKey.header,
      description: `A gw API key (\`gw keys create\`), in the ${config.identity.apiKey.header} header or as \`Authorization: Bearer <key>\``,
    };
  }
  if (used.has('jwt')) {
    schemes[schemeNames.jwt] = {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'A JWT gw verifies (`gw token issue`, or an issuer the config trusts)',
    };
  }
  return {
    schemas: { Problem: problemSchema },
    responses: Object.fromEntries(
      (Object.keys(gwResponses) as GwResponseName[]).map((name) => [name, responseComponent(name)]),
    ),
    headers,
    ...(Object.keys(schemes).length > 0 ? { securitySchemes: schemes } : {}),
  };
}

/**
 * The answers gw itself may give on a route, by status: 401/403 where auth applies, 429 where a
 * limit does, 413 with a body limit, 400 where requests are validated, 502/503/504 where an
 * upstream answers.
 */
export function gwResponsesOf(
  route: ResolvedRoute,
  config: ResolvedConfig,
  proxied: boolean,
): Array<[status: string, name: GwResponseName]> {
  const names: GwResponseName[] = [];
  if (route.validate?.request === true) names.push('GwRequestInvalid');
  if (authMethodsOf(route).length > 0) {
    names.push('GwUnauthorized');
    if ((route.scopes ?? []).length > 0) names.push('GwForbidden');
  }
  if (route.bodyLimit !== undefined) names.push('GwPayloadTooLarge');
  // As the rate-limit policy decides: the route's own limit, else the top-level one; false turns it off.
  if (route.rateLimit ?? config.rateLimit) names.push('GwTooManyRequests');
  if (proxied) names.push('GwBadGateway', 'GwServiceUnavailable', 'GwGatewayTimeout');
  return names.map((name) => [gwResponses[name].status, name]);
}

export { problemRef };
