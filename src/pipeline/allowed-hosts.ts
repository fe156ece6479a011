import { GatewayError } from '../errors.js';

/**
 * The DNS-rebinding guard (the class of webpack-dev-server CVE-2018-14732 and Vite
 * CVE-2025-24010): a page on `http://evil.example` whose name an attacker re-points at 127.0.0.1
 * can read whatever a loopback server answers, because the browser thinks it talks to
 * evil.example. Such requests still carry `Host: evil.example`, so gw answers only Hosts it knows:
 * localhost and `*.localhost` (RFC 6761 §6.3: they always mean this machine), the bind address,
 * the names in `allowedHosts`, and any IP literal. An IP literal cannot be rebound (no DNS is
 * involved), which keeps a gw bound to 0.0.0.0 reachable on its LAN address as Vite does.
 */

export { allowedHostsSchema } from './allowed-hosts-schema.js';

export interface AllowedHosts {
  /** The refusal for a request's Host header (400 malformed, 403 not allowed), or undefined. */
  check(hostHeader: string | undefined): GatewayError | undefined;
  /** Whether a host name (no port, lowercase, IPv6 without brackets) is one gw answers to. */
  allowsHostname(hostname: string): boolean;
}

// name[:port] or [IPv6][:port]; the port is not checked against ours (proxies and port forwards
// change it). Anything else (`a b`, `a/b@c`, an empty name) is not a Host at all.
const hostPattern = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?))(?::\d{0,5})?$/i;
const ipv4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** The host name in a Host header (lowercase, no trailing dot), or undefined when malformed. */
export function hostnameOf(hostHeader: string): string | undefined {
  const match = hostPattern.exec(hostHeader);
  if (!match) return undefined;
  if (match[1] !== undefined) return match[1].toLowerCase();
  const name = match[2]!.toLowerCase();
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function isIpLiteral(hostname: string): boolean {
  return ipv4.test(hostname) || hostname.includes(':');
}

type Verdict = 'ok' | 'invalid' | 'denied';
const VERDICT_CACHE_SIZE = 256;

/** Built once per config load; a request costs one Map lookup (clients repeat their Host). */
export function compileAllowedHosts(
  config: {
    readonly allowedHosts?: true | readonly string[] | undefined;
    readonly host: string;
    readonly routes?: ReadonlyArray<{ readonly host?: string | undefined }>;
    readonly tls?: boolean | { readonly hosts?: readonly string[] | undefined } | undefined;
  },
  bindHost?: string,
): AllowedHosts {
  const any = config.allowedHosts === true;
  const exact = new Set(['localhost']);
  const suffixes = ['.localhost'];
  for (const bound of [config.host, bindHost]) {
    if (bound) exact.add(bound.replace(/^\[|\]$/g, '').toLowerCase());
  }
  // A host the config routes by (routes[].host) or issues certificates for (tls.hosts) is one
  // the user means gw to answer: `*.x.test` there reads as it does in allowedHosts.
  const named = [
    ...(config.routes ?? []).flatMap((route) => (route.host === undefined ? [] : [route.host])),
    ...(typeof config.tls === 'object' ? (config.tls.hosts ?? []) : []),
  ];
  for (const entry of [...(config.allowedHosts === true ? [] : (config.allowedHosts ?? [])), ...named]) {
    const name = entry.toLowerCase();
    if (name.startsWith('*.')) suffixes.push(name.slice(1));
    else if (name.startsWith('.')) {
      exact.add(name.slice(1));
      suffixes.push(name);
    } else exact.add(name);
  }
  const allowsHostname = (hostname: string) =>
    any || exact.has(hostname) || isIpLiteral(hostname) || suffixes.some((s) => hostname.endsWith(s));

  const verdicts = new Map<string, Verdict>();
  const judge = (hostHeader: string): Verdict => {
    const hostname = hostnameOf(hostHeader);
    if (hostname === undefined) return 'invalid';
    return allowsHostname(hostname) ? 'ok' : 'denied';
  };

  return {
    allowsHostname,
    check(hostHeader) {
      // HTTP/1.0 clients may leave Host out; browsers (the only rebinding victims) never do.
      if (hostHeader === undefined) return undefined;
      let verdict = verdicts.get(hostHeader);
      if (verdict === undefined) {
        verdict = judge(hostHeader);
        if (verdicts.size >= VERDICT_CACHE_SIZE) verdicts.clear();
        verdicts.set(hostHeader, verdict);
      }
      if (verdict === 'ok') return undefined;
      const shown = JSON.stringify(hostHeader);
      if (verdict === 'invalid')
        return new GatewayError('GW_HOST_INVALID', `The Host header ${shown} is not a host name`);
      const hostname = hostnameOf(hostHeader)!;
      return new GatewayError('GW_HOST_NOT_ALLOWED', `Host ${shown} is not allowed`, {
        hint: `If you reach gw through ${hostname} on purpose, add '${hostname}' to allowedHosts in the config (or set allowedHosts: true).`,
      });
    },
  };
}
