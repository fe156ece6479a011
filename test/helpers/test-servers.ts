import { afterEach } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { startTestGateway, type TestGateway } from './gateway.js';
import { startUpstream, type TestUpstream, type UpstreamHandler } from './upstream.js';

/**
 * Upstreams and gateways that close themselves after each test (last started, first closed),
 * plus a `cleanup` list for anything else a test starts.
 */
export function useTestServers() {
  const pending: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    while (pending.length) await pending.pop()!();
  });
  return {
    cleanup: { push: (fn: () => Promise<void> | void) => pending.push(fn) },
    async upstream(handler?: UpstreamHandler, host?: string): Promise<TestUpstream> {
      const up = await startUpstream(handler, host);
      pending.push(() => up.close());
      return up;
    },
    async gateway(config: GatewayConfigInput, options?: { stateDir?: string }): Promise<TestGateway> {
      const gw = await startTestGateway(config, options);
      pending.push(() => gw.close());
      return gw;
    },
  };
}
