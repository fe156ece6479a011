import type { IncomingMessage } from 'node:http';

/** Maps an upstream's Location value to what the client should see (the value itself when not ours). */
export type LocationRewrite = (value: string, req: IncomingMessage) => string;

/**
 * nginx's `proxy_redirect default`, built once per route: an absolute Location (or
 * Content-Location) that names one of the service's targets — scheme, host and port, under the
 * target URL's own path — is turned into the same place seen through gw: the origin the client
 * used (its Host, http or https as it connected) and the route's `stripPrefix` put back in front.
 * Relative values and other hosts pass untouched. A route's `rewrite` cannot be undone (a regex
 * or function has no inverse): only the origin and the target's own path are mapped then.
 */
export function createLocationRewrite(
  targets: readonly { readonly url: URL }[],
  stripPrefix: string | undefined,
  rewritesPath: boolean,
): LocationRewrite {
  const bases = targets.map((target) => ({
    origin: target.url.origin,
    path: target.url.pathname.replace(/\/+$/, ''),
  }));
  const prefix = rewritesPath ? '' : (stripPrefix ?? '').replace(/\/+$/, '');
  return function rewriteLocation(value, req) {
    const host = req.headers.host;
    if (host === undefined || !/^https?:\/\//i.test(value)) return value;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return value;
    }
    for (const base of bases) {
      if (url.origin !== base.origin) continue;
      const path = url.pathname;
      if (base.path !== '' && path !== base.path && !path.startsWith(base.path + '/')) continue;
      const rest = path.slice(base.path.length) || '/';
      const scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
      return `${scheme}://${host}${prefix}${rest}${url.search}${url.hash}`;
    }
    return value;
  };
}
