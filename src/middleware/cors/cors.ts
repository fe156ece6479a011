import type { OutgoingHttpHeaders } from 'node:http';
import { GatewayError } from '../../errors.js';
import { answeredBy, onAnswerHead } from '../../pipeline/hooks.js';
import type { GatewayContext, PolicyFactory, UpstreamHead } from '../../pipeline/types.js';
import type { ResolvedCors } from './cors-schema.js';
import { compileOrigins } from './origin-matcher.js';
import { mergeVary, preflightMethod } from './preflight.js';
import { createUpgradeOriginCheck } from './upgrade-origin.js';

export { corsSchema } from './cors-schema.js';

/**
 * CORS for browsers (https://fetch.spec.whatwg.org/#http-cors-protocol). Preflights are answered
 * here and never reach the upstream; actual answers get the Allow-Origin headers; and whenever
 * the answer depends on the Origin, `Vary: Origin` says so, so no cache hands one origin's
 * answer to another. The gateway owns CORS on such a route: the upstream's own CORS headers go.
 */
export const createCorsPolicy: PolicyFactory = (route, build) => {
  const configured = route.config.cors ?? build.config.cors;
  if (!configured) {
    if (!route.config.websocket) return undefined;
    const checkOrigin = createUpgradeOriginCheck(route, build, undefined);
    return async function upgradeOriginPolicy(ctx, next) {
      if (ctx.upgrade) checkOrigin(ctx);
      await next();
    };
  }
  const cors: ResolvedCors = configured;
  const allowed = compileOrigins(cors.origins);
  const checkUpgradeOrigin = route.config.websocket
    ? createUpgradeOriginCheck(route, build, allowed)
    : undefined;
  const varies = !allowed.any;
  const methods = new Set(cors.methods);
  const allowMethods = cors.methods.join(', ');
  const allowHeaders = cors.headers ? new Set(cors.headers) : undefined;
  const exposeHeaders = cors.exposeHeaders.join(', ');
  const maxAge = String(Math.floor(cors.maxAge / 1000));

  const deny = (ctx: GatewayContext, message: string): never => {
    answeredBy(ctx, 'cors', message);
    if (varies) ctx.responseHeaders.vary = 'Origin';
    throw new GatewayError('GW_CORS_DENIED', message);
  };

  function answerPreflight(ctx: GatewayContext, origin: string, asked: string): void {
    if (!allowed(origin)) deny(ctx, `Origin ${origin} is not in cors.origins of route ${route.id}`);
    if (!methods.has(asked)) deny(ctx, `Method ${asked} is not in cors.methods of route ${route.id}`);
    const requested = ctx.req.headers['access-control-request-headers'];
    const names =
      typeof requested === 'string'
        ? requested
            .split(',')
            .map((h) => h.trim().toLowerCase())
            .filter(Boolean)
        : [];
    const refused = allowHeaders ? names.find((name) => !allowHeaders.has(name)) : undefined;
    if (refused !== undefined) deny(ctx, `Header ${refused} is not in cors.headers of route ${route.id}`);
    const headers: OutgoingHttpHeaders = {
      'access-control-allow-origin': allowed.any && !cors.credentials ? '*' : origin,
      'access-control-allow-methods': allowMethods,
      'access-control-max-age': maxAge,
      vary: allowHeaders ? 'Origin' : 'Origin, Access-Control-Request-Headers',
    };
    if (cors.credentials) headers['access-control-allow-credentials'] = 'true';
    if (allowHeaders) headers['access-control-allow-headers'] = [...allowHeaders].join(', ');
    else if (names.length > 0) headers['access-control-allow-headers'] = names.join(', ');
    ctx.response = { status: 204, headers: headers as Record<string, string>, body: Buffer.alloc(0) };
    answeredBy(ctx, 'cors', `preflight for ${asked} from ${origin}`);
  }

  /** Upstream heads: its own CORS headers go (ours are in responseHeaders), Vary gains Origin. */
  const onUpstreamHead = (head: UpstreamHead) => {
    for (const name of Object.keys(head.headers))
      if (name.startsWith('access-control-')) delete head.headers[name];
    if (varies) head.headers.vary = mergeVary(head.headers.vary, 'Origin');
  };

  return async function corsPolicy(ctx, next) {
    const origin = ctx.req.headers.origin;
    if (ctx.upgrade) checkUpgradeOrigin?.(ctx);
    else if (origin !== undefined) {
      const asked = preflightMethod(ctx.req);
      if (asked !== undefined) return answerPreflight(ctx, origin, asked);
      if (allowed(origin)) {
        const headers = ctx.responseHeaders;
        headers['access-control-allow-origin'] = allowed.any && !cors.credentials ? '*' : origin;
        if (cors.credentials) headers['access-control-allow-credentials'] = 'true';
        if (exposeHeaders) headers['access-control-expose-headers'] = exposeHeaders;
      }
    }
    onAnswerHead(ctx, onUpstreamHead);
    try {
      await next();
    } catch (error) {
      if (varies) ctx.responseHeaders.vary = 'Origin';
      throw error;
    }
    const response = ctx.response;
    if (response && varies) response.headers.vary = mergeVary(response.headers.vary, 'Origin');
  };
};
