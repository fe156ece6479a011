import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import type { Middleware } from '../../src/api/middleware-context.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function gatewayWith(use: Middleware[]): Promise<{ up: TestUpstream; gw: TestGateway }> {
  const up = await startUpstream();
  cleanup.push(() => up.close());
  const gw = await startTestGateway({
    services: { api: { targets: [up.url] } },
    routes: [{ path: '/api', service: 'api', use }],
  });
  cleanup.push(() => gw.close());
  return { up, gw };
}

describe('route `use` middlewares', () => {
  it('run in order around the forward and may edit what goes upstream and what comes back', async () => {
    const order: string[] = [];
    const first: Middleware = async (c, next) => {
      order.push('first');
      c.setRequestHeader('x-added', 'by-first');
      await next();
      order.push('first-after');
    };
    const second: Middleware = async (c, next) => {
      order.push('second');
      c.setResponseHeader('x-custom', 'yes');
      await next();
    };
    const { up, gw } = await gatewayWith([first, second]);
    const res = await fetch(`${gw.url}/api/things`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-custom')).toBe('yes');
    expect(up.requests[0]?.headers['x-added']).toBe('by-first');
    expect(order).toEqual(['first', 'second', 'first-after']);
  });

  it('may answer on its own with a GatewayError, and the upstream is never called', async () => {
    const deny: Middleware = async () => {
      throw new GatewayError('GW_FORBIDDEN', 'not on Fridays');
    };
    const { up, gw } = await gatewayWith([deny]);
    const res = await fetch(`${gw.url}/api/things`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('GW_FORBIDDEN');
    expect(up.requests).toHaveLength(0);
  });
});

describe('config rules for routes', () => {
  const problemsOf = (raw: unknown) => {
    try {
      resolveConfig(raw);
      return [];
    } catch (error) {
      return (error as GatewayError).problems.map((p) => p.path);
    }
  };
  const services = { api: { targets: ['http://127.0.0.1:9'] } };

  it.each([
    { routes: [{ path: '/api', service: 'api', scopes: ['a:b'] }], path: 'routes[0].scopes' },
    { routes: [{ path: '/__gw/mine', service: 'api' }], path: 'routes[0].path' },
    { routes: [{ path: '/.well-known/jwks.json', service: 'api' }], path: 'routes[0].path' },
  ])('reports $path', ({ routes, path }) => {
    expect(problemsOf({ services, routes })).toEqual([path]);
  });

  it('accepts scopes with auth', () => {
    expect(
      problemsOf({ services, routes: [{ path: '/api', service: 'api', auth: 'jwt', scopes: ['a:b'] }] }),
    ).toEqual([]);
  });
});
