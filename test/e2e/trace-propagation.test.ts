import { describe, expect, it } from 'vitest';
import type { RequestFinished } from '../../src/events/gateway-events.js';
import { startJsonReporter } from '../../src/reporters/json-reporter.js';
import { detailLines } from '../../src/dashboard/detail-lines.js';
import { request } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';
import type { TestGateway } from '../helpers/gateway.js';
import type { TestUpstream, UpstreamHandler } from '../helpers/upstream.js';

/**
 * W3C Trace Context through gw (https://www.w3.org/TR/trace-context/; issue 17, item 4): a real
 * upstream receives what gw forwards, without `telemetry` (propagation is always on).
 */
const { upstream, gateway } = useTestServers();

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const traceparentShape = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

function sentUpstream(up: TestUpstream, index = 0) {
  const headers = up.requests[index]!.headers;
  const match = traceparentShape.exec(String(headers.traceparent));
  expect(match, `traceparent ${String(headers.traceparent)}`).not.toBeNull();
  return { traceId: match![1]!, parentId: match![2]!, flags: match![3]!, tracestate: headers.tracestate };
}

const finished = (gw: TestGateway) =>
  gw.seen.filter((e): e is RequestFinished => e.type === 'request-finished');

async function plainRoute(handler?: UpstreamHandler) {
  const up = await upstream(handler);
  const gw = await gateway({
    services: { s: { targets: [up.url] } },
    routes: [{ path: '/api', service: 's' }],
  });
  return { up, gw };
}

describe('traceparent propagation', () => {
  it('continues a valid trace with a span id of its own, keeping flags and tracestate', async () => {
    const { up, gw } = await plainRoute();
    const answer = await request(gw.url, '/api/users', {
      headers: {
        traceparent: `00-${TRACE}-${PARENT}-01`,
        tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
      },
    });
    expect(answer.status).toBe(200);
    const sent = sentUpstream(up);
    expect(sent.traceId).toBe(TRACE);
    expect(sent.parentId).not.toBe(PARENT);
    expect(sent.parentId).not.toBe('0000000000000000');
    expect(sent.flags).toBe('01');
    expect(sent.tracestate).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    expect(finished(gw)[0]!.traceId).toBe(TRACE);
  });

  it('keeps an unsampled caller unsampled', async () => {
    const { up, gw } = await plainRoute();
    await request(gw.url, '/api', { headers: { traceparent: `00-${TRACE}-${PARENT}-00` } });
    expect(sentUpstream(up)).toMatchObject({ traceId: TRACE, flags: '00' });
  });

  it('reads a later version by the version 00 layout and sends version 00 on', async () => {
    const { up, gw } = await plainRoute();
    await request(gw.url, '/api', { headers: { traceparent: `01-${TRACE}-${PARENT}-01-what-comes-later` } });
    expect(sentUpstream(up)).toMatchObject({ traceId: TRACE, flags: '01' });
    expect(sentUpstream(up).parentId).not.toBe(PARENT);
  });

  it('starts a new sampled trace when the caller sent none, a new one per request', async () => {
    const { up, gw } = await plainRoute();
    await request(gw.url, '/api/a');
    await request(gw.url, '/api/b');
    const [first, second] = [sentUpstream(up, 0), sentUpstream(up, 1)];
    expect(first.traceId).not.toBe(second.traceId);
    expect(first.flags).toBe('01');
    expect(first.traceId).not.toBe('0'.repeat(32));
    expect(finished(gw).map((e) => e.traceId)).toEqual([first.traceId, second.traceId]);
  });

  const invalid: Array<[string, string | string[]]> = [
    ['uppercase hex', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['an all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['version 00 with more after the flags', `00-${TRACE}-${PARENT}-01-extra`],
    ['a short trace id', `00-${TRACE.slice(2)}-${PARENT}-01`],
    ['a later version without a dash after the flags', `01-${TRACE}-${PARENT}-01x`],
    ['non-hex flags', `00-${TRACE}-${PARENT}-0g`],
    ['two traceparent headers', [`00-${TRACE}-${PARENT}-01`, `00-${TRACE}-${PARENT}-01`]],
  ];
  it.each(invalid)('starts a new trace and drops tracestate for %s', async (_case, traceparent) => {
    const { up, gw } = await plainRoute();
    expect(
      (await request(gw.url, '/api', { headers: { traceparent, tracestate: 'congo=t61rcWkgMzE' } })).status,
    ).toBe(200);
    const sent = sentUpstream(up);
    expect(sent.traceId).not.toBe(TRACE);
    expect(sent.tracestate).toBeUndefined();
    expect(finished(gw)[0]!.traceId).toBe(sent.traceId);
  });

  it('sends the same trace to every retry and to every aggregate part', async () => {
    // The first try, whichever target gets it, answers 503; the retry goes to the other one.
    let calls = 0;
    const failFirst: UpstreamHandler = (_req, res) => {
      res.writeHead(calls++ === 0 ? 503 : 200, { 'content-type': 'application/json' });
      res.end('{}');
    };
    const [one, two, parts] = [await upstream(failFirst), await upstream(failFirst), await upstream()];
    const gw = await gateway({
      services: {
        flaky: { targets: [one.url, two.url], retries: { attempts: 1, backoff: 0 } },
        a: { targets: [parts.url] },
      },
      routes: [
        { path: '/retry', service: 'flaky' },
        {
          path: '/both',
          aggregate: { parts: { x: { service: 'a', path: '/x' }, y: { service: 'a', path: '/y' } } },
        },
      ],
    });
    const caller = { traceparent: `00-${TRACE}-${PARENT}-01` };
    expect((await request(gw.url, '/retry', { headers: caller })).status).toBe(200);
    expect(finished(gw)[0]!.outcome.retries).toBe(1);
    const tries = [sentUpstream(one), sentUpstream(two)];
    expect(tries.map((t) => t.traceId)).toEqual([TRACE, TRACE]);

    expect((await request(gw.url, '/both', { headers: caller })).status).toBe(200);
    const sentParts = [sentUpstream(parts, 0), sentUpstream(parts, 1)];
    expect(sentParts.map((p) => p.traceId)).toEqual([TRACE, TRACE]);
    expect(sentParts.map((p) => p.parentId)).not.toContain(PARENT);
  });

  it('writes the trace id into the JSON log line and the dashboard detail view', async () => {
    const { up, gw } = await plainRoute();
    const lines: string[] = [];
    const stop = startJsonReporter({ events: gw.events, write: (line) => lines.push(line) });
    try {
      await request(gw.url, '/api', {
        headers: { traceparent: `00-${TRACE}-${PARENT}-01`, 'x-request-id': 'traced-1' },
      });
      await request(gw.url, '/api', { headers: { 'x-request-id': 'traced-2' } });
    } finally {
      stop();
    }
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.find((r) => r.id === 'traced-1')).toMatchObject({ event: 'request', traceId: TRACE });
    expect(records.find((r) => r.id === 'traced-2')).toMatchObject({ traceId: sentUpstream(up, 1).traceId });

    const event = finished(gw).find((e) => e.id === 'traced-1')!;
    const detail = detailLines(event, undefined, undefined, Date.now());
    expect(detail).toContainEqual({ kind: 'fact', label: 'trace', text: TRACE });
  });
});
