import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestFinished } from '../../src/events/gateway-events.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/upstream.js';
import {
  createEchoClient,
  startEchoServer,
  type EchoClient,
  type EchoServer,
} from '../protocols/grpc-echo.js';
import { grpcWebRequestBody } from '../protocols/grpc-web-wire.js';

/**
 * A gRPC call's grpc-status by name in the request-finished event (the dashboard and logs read
 * it) and in the `gw_grpc_calls_total{route, grpc_status}` metric: relayed from the upstream's
 * trailers or trailers-only head, written by gw's own refusals, and for gRPC-Web calls.
 */

let server: EchoServer;
let gw: TestGateway;
let client: EchoClient;
let keyed: EchoClient;

beforeAll(async () => {
  server = await startEchoServer();
  gw = await startTestGateway({
    services: { echo: { targets: [server.url], protocol: 'grpc' } },
    routes: [
      { name: 'echo', path: '/gwtest.echo.Echo/*', service: 'echo' },
      {
        name: 'keyed',
        path: '/gwtest.echo.Echo/*',
        host: 'keyed.localhost',
        service: 'echo',
        auth: 'apiKey',
      },
    ],
  });
  client = createEchoClient(`127.0.0.1:${gw.port}`);
  keyed = createEchoClient(`127.0.0.1:${gw.port}`, { authority: 'keyed.localhost' });
});

afterAll(async () => {
  client.close();
  keyed.close();
  await gw.close();
  await server.close();
});

const finished = () => gw.seen.filter((event): event is RequestFinished => event.type === 'request-finished');

describe('grpc-status in events and metrics', () => {
  it('names the status of each call kind of ending', async () => {
    await client.unary({ text: 'ok' });
    await client.unary({ text: 'gone', failWith: 5 });
    await client.serverStream({ text: 'late', count: 1, failWith: 9 });
    await keyed.unary({ text: 'x' });
    await fetch(`${gw.url}/gwtest.echo.Echo/Unary`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web-text' },
      body: grpcWebRequestBody({ text: 'web' }, true),
    }).then((res) => res.arrayBuffer());
    await fetch(`${gw.url}/gwtest.echo.Echo/Unary`).then((res) => res.arrayBuffer());
    await waitFor(() => finished().length === 6);
    expect(finished().map((event) => event.grpcStatus)).toEqual([
      'OK',
      'NOT_FOUND',
      'FAILED_PRECONDITION',
      'UNAUTHENTICATED',
      'OK',
      undefined,
    ]);
    const metrics = await (await fetch(`${gw.url}/__gw/metrics`)).text();
    expect(metrics).toContain('gw_grpc_calls_total{route="echo",grpc_status="OK"} 2');
    expect(metrics).toContain('gw_grpc_calls_total{route="echo",grpc_status="NOT_FOUND"} 1');
    expect(metrics).toContain('gw_grpc_calls_total{route="echo",grpc_status="FAILED_PRECONDITION"} 1');
    expect(metrics).toContain('gw_grpc_calls_total{route="keyed",grpc_status="UNAUTHENTICATED"} 1');
  });
});
