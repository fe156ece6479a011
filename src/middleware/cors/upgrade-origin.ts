import { GatewayError } from '../../errors.js';
import { compileAllowedHosts, hostnameOf } from '../../pipeline/allowed-hosts.js';
import type { BuildContext, CompiledRoute, GatewayContext } from '../../pipeline/types.js';
import type { OriginMatcher } from './origin-matcher.js';

/**
 * Browsers send no preflight for a WebSocket and let any page open one to any host; the server is
 * expected to check Origin (RFC 6455 §10.2), or a page on evil.example can talk to a socket on
 * localhost with the user's cookies (cross-site WebSocket hijacking). An upgrade passes when it
 * carries no Origin (not a browser), when its Origin is the gateway's own origin, and otherwise
 * when the route's `cors.origins` admit it, or — on a route without `cors` — when the origin's
 * host is one gw answers (`allowedHosts`: a dev server on http://localhost:5173 works).
 */
export function createUpgradeOriginCheck(
  route: CompiledRoute,
  build: BuildContext,
  corsOrigins: OriginMatcher | undefined,
): (ctx: GatewayContext) => void {
  const allowedHosts = build.allowedHosts ?? compileAllowedHosts(build.config);
  const admits = (origin: string, hostHeader: string | undefined): boolean => {
    if (corsOrigins?.(origin)) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // `null` (sandboxed frames, file: pages) and garbage
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (hostHeader !== undefined && sameHost(url, hostHeader)) return true;
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    return corsOrigins === undefined && allowedHosts.allowsHostname(hostname);
  };
  return function checkUpgradeOrigin(ctx) {
    const origin = ctx.req.headers.origin;
    if (origin === undefined || admits(origin, ctx.req.headers.host)) return;
    const where = corsOrigins ? `cors.origins of route ${route.id}` : 'allowedHosts';
    throw new GatewayError(
      'GW_ORIGIN_NOT_ALLOWED',
      `A page on ${origin} may not open a WebSocket on route ${route.id}: the origin is not in ${where}`,
    );
  };
}

/** Origin host[:port] equals the Host the request was sent to (default ports compared as such). */
function sameHost(origin: URL, hostHeader: string): boolean {
  if (hostnameOf(hostHeader) === undefined) return false;
  try {
    return new URL(`${origin.protocol}//${hostHeader}`).host === origin.host;
  } catch {
    return false;
  }
}
