import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { createGatewayMetrics } from '../../src/metrics/gateway-metrics.js';
import type { RequestFinished } from '../../src/events/gateway-events.js';
import { startUpstream, type TestUpstream, type UpstreamHandler } from '../helpers/upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { freePort, request } from '../helpers/http.js';
import { parsePrometheusText, valueOf } from './prometheus-text.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function upstream(handler?: UpstreamHandler): Promise<TestUpstream> {
  const up = await startUpstream(handler);
  cleanup.push(() => up.close());
  return up;
}

const finished = (overrides: Partial<RequestFinished>): RequestFinished => ({
  type: 'request-finished',
  id: 'r',
  at: 0,
  method: 'GET',
  path: '/',
  status: 200,
  durationMs: 12,
  clientIp: '127.0.0.1',
  outcome: {},
  ...overrides,
});

describe('the Prometheus parser used here is strict', () => {
  it.each([
    ['no trailing newline', '# TYPE a counter\na 1'],
    ['a bad value', '# TYPE a counter\na one\n'],
    ['an unquoted label', '# TYPE a counter\na{x=1} 1\n'],
    ['a duplicate series', '# TYPE a counter\na 1\na 2\n'],
    ['a sample outside its family', '# TYPE a counter\n# TYPE b counter\na 1\n'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
  ])('rejects %s', (_name, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});

describe('gateway metrics from events', () => {
  it('counts requests, outcomes, breaker states, upstream errors and reloads', async () => {
    const metrics = createGatewayMetrics();
    metrics.observe(finished({ routeId: 'r1', service: 'users', upstreamMs: 5, outcome: { cache: 'HIT' } }));
    metrics.observe(finished({ routeId: 'r1', status: 429, outcome: { limited: true } }));
    metrics.observe(
      finished({ routeId: 'r1', method: 'BREW', status: 503, outcome: { retries: 2, partial: true } }),
    );
    metrics.observe(finished({ status: 404 }));
    metrics.observe({
      type: 'breaker-state',
      at: 0,
      service: 'users',
      target: 'http://127.0.0.1:1',
      state: 'open',
    });
    metrics.observe({
      type: 'upstream-error',
      at: 0,
      id: 'r',
      service: 'users',
      target: 'http://127.0.0.1:1',
      code: 'GW_UPSTREAM_UNREACHABLE',
      message: '',
    });
    metrics.observe({
      type: 'config-loaded',
      at: 0,
      routes: 1,
      changes: { added: [], removed: [], changed: [] },
      durationMs: 1,
      initial: true,
    });
    metrics.observe({
      type: 'config-loaded',
      at: 0,
      routes: 1,
      changes: { added: [], removed: [], changed: [] },
      durationMs: 1,
      initial: false,
    });
    metrics.observe({ type: 'config-rejected', at: 0, error: new GatewayError('GW_CONFIG_INVALID', 'bad') });
    const text = await metrics.registry.metrics();
    const families = parsePrometheusText(text);
    expect(valueOf(families, 'gw_requests_total', { route: 'r1', method: 'GET', status_class: '2xx' })).toBe(
      1,
    );
    expect(
      valueOf(families, 'gw_requests_total', { route: 'r1', method: 'OTHER', status_class: '5xx' }),
    ).toBe(1);
    expect(
      valueOf(families, 'gw_requests_total', { route: '(none)', method: 'GET', status_class: '4xx' }),
    ).toBe(1);
    expect(valueOf(families, 'gw_cache_requests_total', { route: 'r1', result: 'HIT' })).toBe(1);
    expect(valueOf(families, 'gw_rate_limited_total', { route: 'r1' })).toBe(1);
    expect(valueOf(families, 'gw_retries_total', { route: 'r1' })).toBe(2);
    expect(valueOf(families, 'gw_aggregate_partial_total', { route: 'r1' })).toBe(1);
    expect(
      valueOf(families, 'gw_circuit_breaker_state', { service: 'users', target: 'http://127.0.0.1:1' }),
    ).toBe(2);
    expect(
      valueOf(families, 'gw_upstream_errors_total', {
        service: 'users',
        target: 'http://127.0.0.1:1',
        code: 'GW_UPSTREAM_UNREACHABLE',
      }),
    ).toBe(1);
    expect(valueOf(families, 'gw_config_reloads_total', { result: 'loaded' })).toBe(1);
    expect(valueOf(families, 'gw_config_reloads_total', { result: 'rejected' })).toBe(1);
    expect(
      valueOf(
        families,
        'gw_upstream_duration_seconds',
        { service: 'users' },
        'gw_upstream_duration_seconds_count',
      ),
    ).toBe(1);
    expect(
      valueOf(
        families,
        'gw_request_duration_seconds',
        { route: 'r1', le: '0.025' },
        'gw_request_duration_seconds_bucket',
      ),
    ).toBe(3);
  });

  it('keeps separate numbers for separate gateways in one process', async () => {
    const a = createGatewayMetrics();
    const b = createGatewayMetrics();
    a.observe(finished({ routeId: 'x' }));
    const families = parsePrometheusText(await b.registry.metrics());
    expect(
      valueOf(families, 'gw_requests_total', { route: 'x', method: 'GET', status_class: '2xx' }),
    ).toBeUndefined();
  });
});

describe('/__gw/metrics', () => {
  it('serves text a strict Prometheus parser accepts, with live numbers that survive a reload', async () => {
    const up = await upstream();
    const dead = `http://127.0.0.1:${await freePort()}`;
    const config = {
      services: {
        users: { targets: [up.url] },
        down: { targets: [dead], circuitBreaker: { failureThreshold: 1, cooldown: '30s' } },
      },
      routes: [
        { name: 'users', path: '/api/users', service: 'users' },
        { name: 'down', path: '/api/down', service: 'down' },
      ],
    };
    const gw: TestGateway = await startTestGateway(config);
    cleanup.push(() => gw.close());
    for (let i = 0; i < 3; i++) await request(gw.url, '/api/users');
    await request(gw.url, '/api/down');
    await request(gw.url, '/api/down');
    await request(gw.url, '/nowhere');
    await gw.reload(config);
    await request(gw.url, '/api/users');

    const res = await request(gw.url, '/__gw/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheusText(res.body);
    expect(families.get('gw_requests_total')?.type).toBe('counter');
    expect(families.get('gw_request_duration_seconds')?.type).toBe('histogram');
    expect(
      valueOf(families, 'gw_requests_total', { route: 'users', method: 'GET', status_class: '2xx' }),
    ).toBe(4);
    expect(
      valueOf(families, 'gw_requests_total', { route: 'down', method: 'GET', status_class: '5xx' }),
    ).toBe(2);
    expect(
      valueOf(families, 'gw_requests_total', { route: '(none)', method: 'GET', status_class: '4xx' }),
    ).toBe(1);
    expect(valueOf(families, 'gw_circuit_breaker_state', { service: 'down', target: dead })).toBe(2);
    expect(
      valueOf(families, 'gw_upstream_errors_total', {
        service: 'down',
        target: dead,
        code: 'GW_UPSTREAM_UNREACHABLE',
      }),
    ).toBe(1);
    expect(valueOf(families, 'gw_config_reloads_total', { result: 'loaded' })).toBe(1);
    expect(
      valueOf(
        families,
        'gw_upstream_duration_seconds',
        { service: 'users' },
        'gw_upstream_duration_seconds_count',
      ),
    ).toBe(4);
  });
});
