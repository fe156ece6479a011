import type { GatewayEvent, LimitChecked, RequestFinished, RouteSummary } from '../../src/events/index.js';

/** Builders for the events the dashboard reads; each test states only what matters to it. */
export const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

export function finished(overrides: Partial<RequestFinished> = {}): RequestFinished {
  return {
    type: 'request-finished',
    id: 'req-1',
    at: T0,
    method: 'GET',
    path: '/api/users/1',
    status: 200,
    durationMs: 10,
    upstreamMs: 8,
    routeId: 'users',
    service: 'users',
    target: 'http://127.0.0.1:8001',
    clientIp: '127.0.0.1',
    outcome: {},
    ...overrides,
  };
}

export function limitChecked(overrides: Partial<LimitChecked> = {}): LimitChecked {
  return {
    type: 'limit-checked',
    at: T0,
    routeId: 'orders',
    caller: 'mobile-app',
    policy: '10 per 1m',
    limit: 10,
    remaining: 9,
    resetMs: 60_000,
    allowed: true,
    ...overrides,
  };
}

export const routeTable: RouteSummary[] = [
  {
    id: 'users',
    methods: ['GET', 'POST'],
    path: '/api/users/*',
    service: 'users',
    targets: ['http://127.0.0.1:8001', 'http://127.0.0.1:8002'],
  },
  { id: 'orders', methods: [], path: '/api/orders/*', service: 'orders', targets: ['http://127.0.0.1:8003'] },
];

export function configLoaded(
  overrides: Partial<Extract<GatewayEvent, { type: 'config-loaded' }>> = {},
): GatewayEvent {
  return {
    type: 'config-loaded',
    at: T0,
    file: 'gateway.config.ts',
    routes: routeTable.length,
    changes: { added: [], removed: [], changed: [] },
    durationMs: 12,
    initial: true,
    routeTable,
    ...overrides,
  };
}
