import type { ResolvedConfig } from '../config/schema.js';
import type { EventStream } from '../events/event-stream.js';
import { tryConnect } from '../proxy/health-check.js';

/** Long enough for a loopback or LAN upstream, short enough that the warning comes with the start. */
const CONNECT_TIMEOUT_MS = 1000;

/**
 * At start, one TCP connect per target: a target that refuses connections gets a warning now,
 * instead of a 502 on the first request (issue 15). Health stays `unknown`: this only warns.
 */
export async function warnUnreachableTargets(config: ResolvedConfig, events: EventStream): Promise<void> {
  const targets = new Map<string, string[]>();
  for (const [name, service] of Object.entries(config.services)) {
    for (const target of service.targets) {
      const url = typeof target === 'string' ? target : target.url;
      targets.set(url, [...(targets.get(url) ?? []), name]);
    }
  }
  const checks = [...targets].map(async ([url, services]) => {
    const code = await tryConnect(new URL(url), CONNECT_TIMEOUT_MS);
    if (code === undefined) return;
    const what = code === 'ETIMEDOUT' ? `no answer within ${CONNECT_TIMEOUT_MS} ms` : code;
    events.emit({
      type: 'warning',
      at: Date.now(),
      message: `target ${url} of ${services.join(', ')} does not accept connections (${what}); requests to it will fail with 502 until it starts`,
      hint: 'Start the upstream, or fix its URL under `services`.',
    });
  });
  await Promise.all(checks);
}
