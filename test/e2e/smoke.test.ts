import { afterEach, describe, expect, it } from 'vitest';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setup(): Promise<{ up: TestUpstream; gw: TestGateway }> {
  const up = await startUpstream();
  cleanup.push(() => up.close());
  const gw = await startTestGateway({
    services: { users: { targets: [up.url] } },
    routes: [{ path: '/api/users', service: 'users', stripPrefix: '/api' }],
  });
  cleanup.push(() => gw.close());
  return { up, gw };
}

describe('smoke', () => {
  it('forwards a request and returns the upstream answer', async () => {
    const { up, gw } = await setup();
    const res = await fetch(`${gw.url}/api/users/7?x=1`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { url: string };
    expect(body.url).toBe('/users/7?x=1');
    expect(up.requests[0]?.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('answers 404 problem+json for an unknown path', async () => {
    const { gw } = await setup();
    const res = await fetch(`${gw.url}/api/usersadmin`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as { code: string };
    expect(body.code).toBe('GW_ROUTE_NOT_FOUND');
  });
});
