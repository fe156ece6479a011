import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { startGateway, type RunningGateway } from '../../src/dev/start-gateway.js';
import { createEventStream } from '../../src/events/event-stream.js';
import type { GatewayEvent } from '../../src/events/gateway-events.js';

export interface TestGateway extends RunningGateway {
  /** Every event the gateway emitted, in order. */
  seen: GatewayEvent[];
  stateDir: string;
}

/** A real gateway on 127.0.0.1:0 with its own temporary state folder. */
export async function startTestGateway(
  config: GatewayConfigInput,
  options: { stateDir?: string } = {},
): Promise<TestGateway> {
  const stateDir = options.stateDir ?? (await mkdtemp(path.join(os.tmpdir(), 'gw-state-')));
  const events = createEventStream();
  const seen: GatewayEvent[] = [];
  events.subscribe((event) => seen.push(event));
  const gateway = await startGateway({
    config,
    port: 0,
    host: '127.0.0.1',
    stateDir,
    configDir: stateDir,
    events,
  });
  const close = gateway.close.bind(gateway);
  return Object.assign(gateway, {
    seen,
    stateDir,
    close: async (graceMs?: number) => {
      await close(graceMs ?? 1000);
      if (!options.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  });
}
