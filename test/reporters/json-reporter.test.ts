import { describe, expect, it } from 'vitest';
import { createEventStream } from '../../src/events/event-stream.js';
import { startJsonReporter } from '../../src/reporters/json-reporter.js';
import { useTestServers } from '../helpers/test-servers.js';

describe('--log-format json', () => {
  const servers = useTestServers();

  it('prints one line per request, carrying the limit outcome, and no separate limit lines', async () => {
    const up = await servers.upstream();
    const events = createEventStream();
    const lines: string[] = [];
    startJsonReporter({ events, write: (line) => lines.push(line) });
    const gw = await servers.gateway({
      services: { api: { targets: [up.url] } },
      routes: [{ path: '/api', service: 'api', rateLimit: { limit: 1, window: '1m' } }],
    });
    const stop = gw.events.subscribe((event) => events.emit(event));
    servers.cleanup.push(stop);
    expect((await fetch(`${gw.url}/api`)).status).toBe(200);
    expect((await fetch(`${gw.url}/api`)).status).toBe(429);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.filter((r) => r.event === 'limit-checked')).toEqual([]);
    const requests = records.filter((r) => r.event === 'request') as Array<{
      status: number;
      outcome: { limited?: boolean; limitRemaining?: number; reason?: string };
    }>;
    expect(requests.map((r) => r.status)).toEqual([200, 429]);
    expect(requests[0]!.outcome.limitRemaining).toBe(0);
    expect(requests[1]!.outcome.limited).toBe(true);
    expect(requests[1]!.outcome.reason).toMatch(
      /^127\.0\.0\.1 used 1\/1 of 1 per 1m on route .+, resets in \d+ s$/,
    );
  });
});
