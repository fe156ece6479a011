import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/project.js';
import { DROPPED_SPANS_METRIC, EXPORT_FAILURES_METRIC } from '../../src/observe/trace/telemetry.js';
import { freePort, request } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';
import { sleep, waitFor } from '../helpers/wait.js';
import type { UpstreamHandler } from '../helpers/upstream.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './trace-otlp-receiver.js';

/**
 * Span export over OTLP/HTTP (issue 17, item 4): a real receiver started here decodes what gw
 * sends with the OTLP protobuf definitions; real upstreams show which span each call named as
 * its parent.
 */
const { cleanup, upstream, gateway } = useTestServers();

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

async function receiver(): Promise<OtlpReceiver> {
  const otlp = await startOtlpReceiver();
  cleanup.push(() => otlp.close());
  return otlp;
}

const parentIn = (traceparent: unknown) => String(traceparent).split('-')[2];
const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) =>
  spans.filter((s) => s.parentSpanId === parent.spanId);

describe('OTLP span export', () => {
  it('exports the request span under the caller, with auth, rate limit and one client span per try', async () => {
    const otlp = await receiver();
    // The first try, whichever target gets it, answers 503; the retry goes to the other target.
    let calls = 0;
    const failFirst: UpstreamHandler = (_req, res) => {
      res.writeHead(calls++ === 0 ? 503 : 200, { 'content-type': 'text/plain' });
      res.end('ok');
    };
    const [one, two] = [await upstream(failFirst), await upstream(failFirst)];
    const gw = await gateway({
      telemetry: { otlp: otlp.url, serviceName: 'gw-under-test' },
      services: { users: { targets: [one.url, two.url], retries: { attempts: 1, backoff: 0 } } },
      routes: [
        {
          name: 'users',
          path: '/users/:id',
          service: 'users',
          auth: 'apiKey',
          rateLimit: { limit: 10, window: '1m' },
        },
      ],
    });
    const { key } = await gw.state.keys.create({ name: 'web-app', scopes: [] });
    const answer = await request(gw.url, '/users/7?page=2', {
      headers: { 'x-api-key': key, traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'congo=t61rcWkgMzE' },
    });
    expect(answer.status).toBe(200);
    await waitFor(() => otlp.spans.some((s) => s.kind === 'SPAN_KIND_SERVER'), 10_000, 'the server span');

    const server = otlp.spans.find((s) => s.kind === 'SPAN_KIND_SERVER')!;
    expect(server).toMatchObject({
      traceId: TRACE,
      parentSpanId: PARENT,
      name: 'GET /users/:id',
      status: 'STATUS_CODE_UNSET',
      service: 'gw-under-test',
    });
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/users/:id',
      'url.path': '/users/7',
      'url.query': 'page=2',
      'http.response.status_code': 200,
      'gw.route': 'users',
      'gw.retries': 1,
      'gw.caller': 'web-app',
    });
    const children = childrenOf(otlp.spans, server);
    expect(children.every((s) => s.traceId === TRACE)).toBe(true);
    expect(children.filter((s) => s.kind === 'SPAN_KIND_INTERNAL').map((s) => s.name)).toEqual([
      'auth',
      'rate-limit',
    ]);

    const tries = children
      .filter((s) => s.kind === 'SPAN_KIND_CLIENT')
      .sort((a, b) => Number(a.attributes['gw.attempt']) - Number(b.attributes['gw.attempt']));
    expect(tries.map((s) => s.attributes['gw.attempt'])).toEqual([1, 2]);
    expect(tries[0]!.status).toBe('STATUS_CODE_ERROR');
    expect(tries[0]!.attributes['http.request.resend_count']).toBeUndefined();
    expect(tries[1]).toMatchObject({ status: 'STATUS_CODE_UNSET', name: 'GET' });
    expect(tries[1]!.attributes).toMatchObject({
      'http.request.resend_count': 1,
      'http.response.status_code': 200,
    });
    // Each try named its own span as the upstream's parent.
    const sent = [...one.requests, ...two.requests].map((r) => r.headers);
    expect(sent.map((h) => parentIn(h.traceparent)).sort()).toEqual(tries.map((s) => s.spanId).sort());
    expect(sent.every((h) => String(h.traceparent).startsWith(`00-${TRACE}-`))).toBe(true);
    expect(sent.every((h) => h.tracestate === 'congo=t61rcWkgMzE')).toBe(true);
  });

  it('exports a span per aggregate part, and fails the auth span but not the request span of a 401', async () => {
    const otlp = await receiver();
    const parts = await upstream();
    const gw = await gateway({
      telemetry: { otlp: otlp.url },
      services: { a: { targets: [parts.url] } },
      routes: [
        {
          name: 'both',
          path: '/both',
          aggregate: { parts: { x: { service: 'a', path: '/x' }, y: { service: 'a', path: '/y' } } },
        },
        { name: 'locked', path: '/locked', service: 'a', auth: 'apiKey' },
      ],
    });
    expect((await request(gw.url, '/both')).status).toBe(200);
    expect((await request(gw.url, '/locked')).status).toBe(401);
    await waitFor(
      () => otlp.spans.filter((s) => s.kind === 'SPAN_KIND_SERVER').length === 2,
      10_000,
      'two server spans',
    );
    const both = otlp.spans.find((s) => s.name === 'GET /both')!;
    const partSpans = childrenOf(otlp.spans, both).filter((s) => s.kind === 'SPAN_KIND_CLIENT');
    expect(partSpans.map((s) => s.name).sort()).toEqual(['part x', 'part y']);
    for (const span of partSpans) {
      const sentTo = parts.requests.find((r) => r.url === `/${span.attributes['gw.part']}`)!;
      expect(parentIn(sentTo.headers.traceparent)).toBe(span.spanId);
    }
    expect(partSpans.every((s) => s.traceId === both.traceId)).toBe(true);

    const locked = otlp.spans.find((s) => s.name === 'GET /locked')!;
    expect(locked.status).toBe('STATUS_CODE_UNSET');
    expect(locked.attributes).toMatchObject({ 'http.response.status_code': 401, 'gw.answered_by': 'auth' });
    const [auth] = childrenOf(otlp.spans, locked);
    expect(auth).toMatchObject({ name: 'auth', status: 'STATUS_CODE_ERROR' });
    expect(auth!.attributes['error.type']).toBe('GW_UNAUTHENTICATED');
  });

  it('records nothing for a caller that said "not sampled", yet sends its trace on unsampled', async () => {
    const otlp = await receiver();
    const up = await upstream();
    const gw = await gateway({
      telemetry: { otlp: otlp.url },
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const unsampled = 'a'.repeat(32);
    await request(gw.url, '/api/quiet', { headers: { traceparent: `00-${unsampled}-${PARENT}-00` } });
    await request(gw.url, '/api/loud', { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } });
    await waitFor(() => otlp.spans.some((s) => s.traceId === TRACE), 10_000, 'the sampled trace');
    // The unsampled request ended first: its spans would have been in the same batch or before.
    expect(otlp.spans.filter((s) => s.traceId === unsampled)).toEqual([]);
    const sent = String(up.requests[0]!.headers.traceparent).split('-');
    expect(sent[1]).toBe(unsampled);
    expect(sent[2]).not.toBe(PARENT);
    expect(sent[3]).toBe('00');
  });

  it('follows telemetry across reloads: on, to another receiver, off', async () => {
    const [first, second] = [await receiver(), await receiver()];
    const up = await upstream();
    const base = { services: { s: { targets: [up.url] } }, routes: [{ path: '/api', service: 's' }] };
    const gw = await gateway(base);
    await request(gw.url, '/api/untraced');
    await gw.reload({ ...base, telemetry: { otlp: first.url } });
    await request(gw.url, '/api/one');
    await waitFor(
      () => first.spans.some((s) => s.attributes['url.path'] === '/api/one'),
      10_000,
      'a span at the first',
    );
    await gw.reload({ ...base, telemetry: { otlp: second.url } });
    await request(gw.url, '/api/two');
    await waitFor(
      () => second.spans.some((s) => s.attributes['url.path'] === '/api/two'),
      10_000,
      'a span at the second',
    );
    await gw.reload(base);
    await request(gw.url, '/api/three');
    await request(gw.url, '/api/four');
    // Off again: /api/three and /api/four go upstream traced, but no span of theirs is exported.
    await sleep(1500);
    const exported = [...first.spans, ...second.spans].map((s) => s.attributes['url.path']);
    expect(exported).not.toContain('/api/untraced');
    expect(exported).not.toContain('/api/three');
    expect(first.spans.map((s) => s.attributes['url.path'])).not.toContain('/api/two');
    expect(up.requests.map((r) => r.url)).toEqual([
      '/api/untraced',
      '/api/one',
      '/api/two',
      '/api/three',
      '/api/four',
    ]);
    expect(up.requests.every((r) => typeof r.headers.traceparent === 'string')).toBe(true);
  });

  it('loads the OpenTelemetry SDK only when telemetry is configured', () => {
    const dist = path.join(repoRoot, 'dist/index.js');
    if (!existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` first');
    // A fresh process: what one gateway run loads, without what other tests in this worker loaded.
    const script = (telemetry: boolean) => `
      import http from 'node:http';
      import { createRequire } from 'node:module';
      import { mkdtempSync } from 'node:fs';
      import os from 'node:os';
      import path from 'node:path';
      const { startGateway } = await import(${JSON.stringify(dist)});
      const up = http.createServer((req, res) => res.end('ok'));
      await new Promise((resolve) => up.listen(0, '127.0.0.1', resolve));
      const config = {
        services: { s: { targets: ['http://127.0.0.1:' + up.address().port] } },
        routes: [{ path: '/api', service: 's' }],
        ${telemetry ? "telemetry: { otlp: 'http://127.0.0.1:9', timeout: '100ms' }," : ''}
      };
      const stateDir = mkdtempSync(path.join(os.tmpdir(), 'gw-lazy-'));
      const gw = await startGateway({ config, port: 0, host: '127.0.0.1', stateDir, configDir: stateDir });
      await (await fetch(gw.url + '/api')).text();
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('otlp-exporter-base'));
      await gw.close(0);
      up.close();
      console.log(JSON.stringify({ loaded }));
    `;
    const run = (telemetry: boolean) => {
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script(telemetry)], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(child.status, child.stderr).toBe(0);
      return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { loaded: boolean };
    };
    expect(run(false)).toEqual({ loaded: false });
    expect(run(true)).toEqual({ loaded: true });
  });

  it('answers every request while the receiver is unreachable, and says so once', async () => {
    const up = await upstream();
    const closedPort = await freePort();
    const gw = await gateway({
      telemetry: { otlp: `http://127.0.0.1:${closedPort}`, timeout: '200ms' },
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const failures = async () => {
      const metrics = await request(gw.url, '/__gw/metrics');
      return Number(new RegExp(`^${EXPORT_FAILURES_METRIC} (\\d+)`, 'm').exec(metrics.body)?.[1] ?? 0);
    };
    for (let i = 0; i < 5; i++) expect((await request(gw.url, `/api/${i}`)).status).toBe(200);
    await waitFor(async () => (await failures()) >= 1, 10_000, 'a counted export failure');
    for (let i = 0; i < 5; i++) expect((await request(gw.url, `/api/again/${i}`)).status).toBe(200);
    await waitFor(async () => (await failures()) >= 2, 10_000, 'a second counted export failure');
    const warnings = gw.seen.filter((e) => e.type === 'warning' && e.code === 'GW_TRACE_EXPORT_FAILED');
    expect(warnings).toHaveLength(1);
    expect(up.requests).toHaveLength(10);
    // Failed batches are not dropped spans: the queue (8192 spans) was never full.
    const metrics = await request(gw.url, '/__gw/metrics');
    expect(metrics.body).toMatch(new RegExp(`^${DROPPED_SPANS_METRIC} 0$`, 'm'));
  });
});
