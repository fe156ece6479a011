import { lookup as lookupDns } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent as HttpAgent } from 'node:http';
import type { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { SecureContext } from 'node:tls';

/**
 * How long an idle upstream socket is kept. Below Node's own server default (5 s keep-alive), so
 * the gateway drops a socket before a typical dev server does and never writes a request into a
 * socket the server is closing. A server that sends `Keep-Alive: timeout=N` lowers it further.
 */
export const FREE_SOCKET_TIMEOUT_MS = 4_000;

/** In this order: IPv4 first, because most dev servers bind 127.0.0.1 (or both). */
const loopbackAddresses: readonly LookupAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

/** `localhost` and `*.localhost` always mean this machine (RFC 6761 §6.3). */
export function isLocalhost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost');
}

function wantedFamily(family: unknown): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}

/**
 * A dns lookup that answers `localhost` with both loopback addresses without asking the resolver.
 * /etc/hosts often maps localhost to 127.0.0.1 only, so a service listening on ::1 (Vite and
 * other Node servers do by default on some systems) would be unreachable. With
 * `autoSelectFamily`, net.connect tries 127.0.0.1 and, on refusal, ::1 right away. IP literals
 * never reach a lookup, so 127.0.0.1 targets pay nothing for this.
 */
export const lookupLocalhostDualStack: LookupFunction = function lookupLocalhostDualStack(
  hostname: string,
  options: LookupOptions,
  callback: Parameters<LookupFunction>[2],
): void {
  if (!isLocalhost(hostname)) {
    lookupDns(hostname, options, callback);
    return;
  }
  const family = wantedFamily(options.family);
  const addresses = family === 0 ? loopbackAddresses : loopbackAddresses.filter((a) => a.family === family);
  // net expects the callback asynchronously, as a real lookup would call it.
  process.nextTick(() => {
    if (options.all) callback(null, addresses.slice());
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};

/** Options every upstream connection of gw gets (agents and health probes alike). */
export const connectOptions = { lookup: lookupLocalhostDualStack, autoSelectFamily: true } as const;

/**
 * A keep-alive agent for one service and protocol. An https agent gets the service's TLS settings
 * (upstream-tls.ts); the name verified and sent as SNI is set per request (it is the target's).
 */
export function createKeepAliveAgent(
  protocol: string,
  tls?: { readonly secureContext: SecureContext; readonly rejectUnauthorized: boolean },
): Agent {
  const options = {
    keepAlive: true,
    maxSockets: Infinity,
    maxFreeSockets: 256,
    // LIFO reuses the warmest socket and lets the rest idle out.
    scheduling: 'lifo' as const,
    timeout: FREE_SOCKET_TIMEOUT_MS,
    ...connectOptions,
  };
  if (protocol !== 'https:') return new HttpAgent(options);
  return new HttpsAgent(
    tls
      ? { ...options, secureContext: tls.secureContext, rejectUnauthorized: tls.rejectUnauthorized }
      : options,
  );
}

/**
 * Frees an agent that no build uses any more without cutting requests that are still running on
 * it (a reload lets in-flight requests finish on the old gateway): idle sockets close now, busy
 * ones close when their response ends instead of going back to the pool.
 */
export function retireAgent(agent: Agent): void {
  agent.maxFreeSockets = 0;
  for (const sockets of Object.values(agent.freeSockets)) {
    for (const socket of sockets ?? []) socket.destroy();
  }
  if (Object.keys(agent.sockets).length === 0) agent.destroy();
}
