import { afterEach, describe, expect, it } from 'vitest';
import { createDashboardState, reduceDashboard } from '../../src/dashboard/dashboard-state.js';
import { MAX_GRPC_METHODS, selectGrpcMethods } from '../../src/dashboard/grpc-calls.js';
import { T0, finished } from './events.js';
import { lineWith, renderDashboardUnderTest, type DashboardUnderTest } from './harness.js';

const call = (path: string, grpcStatus: string | undefined, at = T0) =>
  finished({
    method: 'POST',
    path,
    status: 200,
    at,
    routeId: 'greeter',
    ...(grpcStatus ? { grpcStatus } : {}),
  });

describe('gRPC calls in the dashboard state', () => {
  it('counts calls by method and grpc-status name; plain HTTP requests are not gRPC calls', () => {
    const state = createDashboardState();
    reduceDashboard(state, call('/helloworld.Greeter/SayHello', 'OK', T0));
    reduceDashboard(state, call('/helloworld.Greeter/SayHello', 'UNAVAILABLE', T0 + 1));
    reduceDashboard(state, call('/helloworld.Greeter/SayHello', 'OK', T0 + 2));
    reduceDashboard(state, call('/helloworld.Greeter/SayHelloStream', 'DEADLINE_EXCEEDED', T0 + 3));
    reduceDashboard(state, call('/api/users/1', undefined, T0 + 4));

    const rows = selectGrpcMethods(state.grpcMethods, 10);
    expect(rows.map((row) => [row.method, row.calls, row.last, Object.fromEntries(row.statuses)])).toEqual([
      ['/helloworld.Greeter/SayHelloStream', 1, 'DEADLINE_EXCEEDED', { DEADLINE_EXCEEDED: 1 }],
      ['/helloworld.Greeter/SayHello', 3, 'OK', { OK: 2, UNAVAILABLE: 1 }],
    ]);
  });

  it('keeps at most MAX_GRPC_METHODS methods, still counting the known ones', () => {
    const state = createDashboardState();
    for (let i = 0; i < MAX_GRPC_METHODS + 20; i++)
      reduceDashboard(state, call(`/scan.S/M${i}`, 'UNIMPLEMENTED'));
    reduceDashboard(state, call('/scan.S/M0', 'UNIMPLEMENTED'));
    expect(state.grpcMethods.size).toBe(MAX_GRPC_METHODS);
    expect(state.grpcMethods.get('/scan.S/M0')?.calls).toBe(2);
  });
});

let dashboard: DashboardUnderTest;
afterEach(() => dashboard?.unmount());

describe('the dashboard with gRPC calls', () => {
  it('shows a gRPC CALLS table only once gRPC calls arrive, with each method and its statuses', async () => {
    // Given a dashboard that has seen only HTTP requests
    dashboard = renderDashboardUnderTest();
    dashboard.emit(finished({ path: '/api/users/1' }));
    expect(await dashboard.frame()).not.toContain('gRPC CALLS');

    // When gRPC calls finish, one with an error status
    dashboard.emit(call('/helloworld.Greeter/SayHello', 'OK'));
    dashboard.emit(call('/helloworld.Greeter/SayHello', 'UNAVAILABLE', T0 + 10));
    dashboard.advance(1000);
    const frame = await dashboard.frame();

    // Then the table lists the method with its calls, last status and the count per status
    expect(frame).toContain('gRPC CALLS');
    expect(lineWith(frame, 'UNAVAILABLE')).toMatch(
      /\/helloworld\.Greeter\/SayHello\s+2\s+UNAVAILABLE\s+OK 1 · UNAVAILABLE 1/,
    );
  });
});
