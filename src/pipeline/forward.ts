import { GatewayError } from '../errors.js';
import type { Forwarder } from '../proxy/forwarder.js';
import type { UpstreamPool } from '../proxy/upstream-types.js';
import { noHealthyTarget } from '../proxy/upstream-errors.js';
import { writeProblemToSocket } from './problem.js';
import { createResilientForward } from './resilient-forward.js';
import type { BuildContext, CompiledRoute, GatewayContext } from './types.js';

/**
 * The end of every route's chain: choose a healthy target and hand the request to the forwarder
 * (a WebSocket upgrade when the context carries one). Routes without a service end in an error
 * unless a policy (mock, aggregate) answered first.
 */
export function createForward(
  route: CompiledRoute,
  pool: UpstreamPool | undefined,
  forwarder: Forwarder,
  build: BuildContext,
) {
  if (!pool) {
    return async function noUpstream(): Promise<void> {
      throw new GatewayError('GW_INTERNAL', `Route ${route.id} has no service to forward to`, {
        hint: 'Give the route a `service`, or a policy that answers it (mock, aggregate).',
      });
    };
  }
  // Breakers, retries and the route's time budget (issue 4); WebSocket upgrades go straight on.
  const resilient = createResilientForward(route, pool, forwarder, build);
  return async function forward(ctx: GatewayContext): Promise<void> {
    const upgrade = ctx.upgrade;
    if (!upgrade) return resilient(ctx);
    const target = pool.pick({ req: ctx.req, clientIp: ctx.clientIp });
    if (!target) throw noHealthyTarget(pool);
    // Policies passed: hand the raw socket back from the response the policies could answer on.
    ctx.res.detachSocket(upgrade.socket as never);
    ctx.req.url = ctx.upstreamPath + ctx.search;
    ctx.target = target.key;
    // The detached response never writes: its status only tells request-finished how the
    // handshake ended (499 until the upstream or a refusal says otherwise).
    ctx.res.statusCode = 499;
    forwarder.ws(
      ctx.req,
      upgrade.socket,
      upgrade.head,
      pool,
      target,
      (error) => {
        ctx.res.statusCode = error.status;
        writeProblemToSocket(upgrade.socket as never, error);
      },
      { timeoutMs: ctx.timeoutMs, onHandshake: (status) => (ctx.res.statusCode = status) },
    );
  };
}
