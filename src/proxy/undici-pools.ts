import type { Agent } from 'node:http';
import { Pool } from 'undici';
import { connectOptions, FREE_SOCKET_TIMEOUT_MS } from './keep-alive-agent.js';
import type { Endpoint } from './upstream-request-head.js';
import type { Target } from './upstream-types.js';

/**
 * undici's keep-alive pools for the requests undici-forward.ts carries. They live and die with
 * the target's Node agent (upstream-registry.ts shares an agent across builds while its service
 * is unchanged, and retires it when none uses it): a reload keeps their sockets, a removed
 * service closes them. One pool per origin and connect timeout, since undici sets the connect
 * timeout per pool, not per request (routes rarely set their own `connectTimeout`).
 */
const poolsByAgent = new WeakMap<Agent, Map<string, Pool>>();
/** The per-request lookup: a target's pools, usually one, by connect timeout. */
const poolsByTarget = new WeakMap<Target, Array<{ connectMs: number; pool: Pool }>>();

export function undiciPoolOf(target: Target, endpoint: Endpoint, connectMs: number): Pool {
  const known = poolsByTarget.get(target);
  if (known) for (const entry of known) if (entry.connectMs === connectMs) return entry.pool;
  let shared = poolsByAgent.get(target.agent);
  if (!shared) poolsByAgent.set(target.agent, (shared = new Map()));
  const host = endpoint.hostname.includes(':') ? `[${endpoint.hostname}]` : endpoint.hostname;
  const origin = `http://${host}:${endpoint.port}`;
  const key = `${origin} ${connectMs}`;
  let pool = shared.get(key);
  if (!pool) {
    pool = new Pool(origin, {
      // As many sockets as requests in flight, one request at a time on each: Node's agent's way.
      connections: null,
      pipelining: 1,
      keepAliveTimeout: FREE_SOCKET_TIMEOUT_MS,
      keepAliveMaxTimeout: FREE_SOCKET_TIMEOUT_MS,
      // The forward runs its own clocks for the head and the body (forward-clock.ts).
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { ...connectOptions, timeout: connectMs },
    });
    shared.set(key, pool);
  }
  if (known) known.push({ connectMs, pool });
  else poolsByTarget.set(target, [{ connectMs, pool }]);
  return pool;
}

/** Closes the pools of an agent no build uses any more; requests running on them finish first. */
export function retireUndiciPools(agent: Agent): void {
  const shared = poolsByAgent.get(agent);
  if (!shared) return;
  poolsByAgent.delete(agent);
  for (const pool of shared.values()) pool.close().catch(() => {});
}
