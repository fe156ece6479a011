import { describe, expect, it } from 'vitest';
import { createEventStream } from '../../src/events/event-stream.js';
import { requestLine, startJsonReporter } from '../../src/reporters/json-reporter.js';
import type { RequestFinished } from '../../src/events/gateway-events.js';
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

  it('writes every field of a request line as JSON, escaped, absent ones left out, headers never', () => {
    const event: RequestFinished = {
      type: 'request-finished',
      id: 'req-1',
      at: Date.UTC(2026, 10, 28, 1, 2, 3, 456),
      method: 'GET',
      path: '/api/"quoted"\n?q=ü',
      status: 200,
      durationMs: 1.23456,
      upstreamMs: 0.98765,
      routeId: 'GET /api',
      service: 'api',
      target: 'http://127.0.0.1:9',
      upstreamUrl: 'http://127.0.0.1:9/api',
      clientIp: '127.0.0.1',
      caller: 'mobile-app',
      outcome: { limitRemaining: 4, cache: 'MISS' },
      requestHeaders: { authorization: 'Bearer secret' },
      responseHeaders: { 'set-cookie': 'secret' },
    };
    expect(JSON.parse(requestLine(event))).toEqual({
      time: '2026-11-28T01:02:03.456Z',
      event: 'request',
      id: 'req-1',
      method: 'GET',
      path: '/api/"quoted"\n?q=ü',
      status: 200,
      routeId: 'GET /api',
      service: 'api',
      target: 'http://127.0.0.1:9',
      upstreamUrl: 'http://127.0.0.1:9/api',
      clientIp: '127.0.0.1',
      caller: 'mobile-app',
      outcome: { limitRemaining: 4, cache: 'MISS' },
      durationMs: 1.23,
      upstreamMs: 0.99,
    });
    const bare: RequestFinished = { ...event, upstreamMs: undefined, caller: undefined, routeId: undefined };
    expect(Object.keys(JSON.parse(requestLine(bare)) as object)).not.toContain('caller');
    expect(requestLine(bare)).not.toMatch(/secret|routeId|upstreamMs/);
  });
});
