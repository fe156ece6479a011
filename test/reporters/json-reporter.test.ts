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

  it('writes the same bytes as JSON.stringify of the record would, for any durations, outcomes and routes', () => {
    // The record a line stands for, stringified; DEL, C1 and U+2028/2029 escaped as the reporter does.
    const reference = (event: RequestFinished) => {
      const round = (ms: number) => Math.round(ms * 100) / 100;
      const record = {
        time: new Date(event.at).toISOString(),
        event: 'request',
        id: event.id,
        method: event.method,
        path: event.path,
        status: event.status,
        routeId: event.routeId,
        service: event.service,
        target: event.target,
        upstreamUrl: event.upstreamUrl,
        clientIp: event.clientIp,
        caller: event.caller,
        traceId: event.traceId,
        outcome: event.outcome,
        durationMs: round(event.durationMs),
        upstreamMs: event.upstreamMs === undefined ? undefined : round(event.upstreamMs),
      };
      return JSON.stringify(record).replace(
        /[\x7f-\x9f\u2028\u2029]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
    };
    const outcomes: RequestFinished['outcome'][] = [
      {},
      { limitRemaining: 999_999_999 },
      { limitRemaining: 0, limited: true, answeredBy: 'rate-limit', reason: 'k\u2028"used"\u0085 1/1' },
      { cache: 'HIT', retries: 2, mocked: false, partial: true, fault: 'latency' },
      {
        answeredBy: 'GW_UPSTREAM_TIMEOUT',
        code: 'GW_UPSTREAM_TIMEOUT',
        hint: 'Raise `timeout`',
        reason: 'é\n\t',
      },
      { drift: { operation: 'GET /x', violations: [{ location: 'body.a', expected: 'a string' }] } },
      { limitRemaining: undefined, cache: 'MISS' },
      { retries: Number.NaN, limitRemaining: -0 },
    ];
    const routes = [
      { routeId: 'GET /api/orders/:id', service: 'up', target: 'http://127.0.0.1:40123' },
      { routeId: 'r"1', service: undefined, target: undefined },
      { routeId: undefined, service: undefined, target: undefined },
      { routeId: 'GET /api/orders/:id', service: 'other', target: 'http://[::1]:8080' },
    ];
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const durations = [
      0,
      0.004,
      0.005,
      0.015,
      1.005,
      1.1,
      1.5,
      2,
      9.995,
      10.1,
      99.99,
      1e6 + 0.125,
      12_345_678.91,
    ];
    for (let i = 0; i < 5_000; i++) {
      const route = routes[i % routes.length]!;
      const event: RequestFinished = {
        type: 'request-finished',
        id: `req-${i}`,
        at: Date.UTC(2026, 11, 5, 15, 0, 0, i),
        method: 'GET',
        path: i % 3 === 0 ? '/api/"x"\u007f?q=ü' : `/api/orders/${i}`,
        status: 200,
        durationMs: durations[i % durations.length]! + (i >= durations.length ? random() * 10 ** (i % 6) : 0),
        upstreamMs: i % 5 === 0 ? undefined : random() * 100,
        ...route,
        upstreamUrl: route.target === undefined ? undefined : `${route.target}/api/orders/${i}`,
        clientIp: '127.0.0.1',
        caller: i % 2 === 0 ? 'bench' : undefined,
        traceId: i % 4 === 0 ? '0af7651916cd43dd8448eb211c80319c' : undefined,
        httpVersion: '1.1',
        outcome: outcomes[i % outcomes.length]!,
      };
      expect(requestLine(event)).toBe(reference(event));
    }
  });

  it("writes each line's time as toISOString does, across milliseconds, seconds, days and years", () => {
    const base: RequestFinished = {
      type: 'request-finished',
      id: 'req-1',
      at: 0,
      method: 'GET',
      path: '/',
      status: 200,
      durationMs: 1,
      clientIp: '127.0.0.1',
      httpVersion: '1.1',
      outcome: {},
    };
    const times = [
      Date.UTC(2026, 11, 5, 15, 0, 0, 999),
      Date.UTC(2026, 11, 5, 15, 0, 1, 0),
      Date.UTC(2026, 11, 5, 15, 0, 1, 7),
      Date.UTC(2026, 11, 5, 15, 0, 1, 7),
      Date.UTC(2026, 11, 5, 15, 0, 1, 70),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1, 0, 0, 0, 0),
      Date.UTC(2026, 11, 5, 15, 0, 1, 8),
      0,
      -1,
      -1_001,
      1_700_000_000_123.6,
    ];
    for (const at of times) {
      const line = JSON.parse(requestLine({ ...base, at })) as { time: string };
      expect(line.time).toBe(new Date(at).toISOString());
    }
  });
});
