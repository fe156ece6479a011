import { hostnameOfHeader, wildcardSuffix } from '../pipeline/host-pattern.js';

/**
 * What `gw routes test` was given: a bare path (`/api?x=1`, no Host: only routes without `host`
 * match) or an absolute URL (`https://api.localhost:8443/billing`), whose host is matched as a
 * request's Host would be.
 */
export function parseTestUrl(url: string): { host: string | undefined; target: string } {
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)(.*)$/i.exec(url);
  if (!absolute) return { host: undefined, target: url };
  const authority = absolute[1]!.replace(/^[^@]*@/, '');
  const rest = absolute[2]!;
  return { host: authority || undefined, target: rest.startsWith('/') ? rest : `/${rest}` };
}

/** Why the winning route's host rule took this request, in the words of the config. */
export function explainHost(routeHost: string | undefined, host: string | undefined): string {
  if (routeHost === undefined)
    return host === undefined
      ? 'no host given: only routes without `host` can match'
      : `no route's host matches ${hostnameOfHeader(host)} for this path: a route without \`host\` answers`;
  const hostname = hostnameOfHeader(host ?? '');
  return wildcardSuffix(routeHost)
    ? `host ${hostname} matches the wildcard ${routeHost} (no exact host route took it)`
    : `host ${hostname} is the route's exact host ${routeHost}`;
}
