import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createFaultsPolicy } from '../../src/middleware/faults.js';
import { createBodyLimitPolicy } from '../../src/middleware/body-limit.js';
import { compileRoute } from '../../src/pipeline/compile-route.js';
import { upstreamBody } from '../../src/pipeline/hooks.js';
import type { BuildContext } from '../../src/pipeline/types.js';
import { createTestContext, runMiddleware } from '../helpers/context.js';

const routeOf = (extra: Record<string, unknown>) => {
  const resolved = configSchema.parse({ routes: [{ path: '/a', mock: { json: 1 }, ...extra }] });
  return { route: compileRoute(resolved.routes[0]!), build: { config: resolved } as BuildContext };
};

describe('faults policy', () => {
  it('costs nothing when it would do nothing', () => {
    const { route, build } = routeOf({ faults: { errorRate: 0 } });
    expect(createFaultsPolicy(route, build)).toBeUndefined();
  });

  it('fails every request at errorRate 1 with the configured status', async () => {
    const { route, build } = routeOf({ faults: { errorRate: 1, errorStatus: 502 } });
    const ctx = createTestContext({ route });
    const { passed, error } = await runMiddleware(createFaultsPolicy(route, build)!, ctx);
    expect(passed).toBe(false);
    expect(error).toMatchObject({ code: 'GW_FAULT_INJECTED', status: 502 });
  });

  it.each([[{ errorRate: 1.5 }], [{ errorStatus: 200 }], [{ latency: 'slow' }], [{ latency: ['1s'] }]])(
    'refuses %o',
    (faults) => {
      expect(configSchema.safeParse({ routes: [{ path: '/a', mock: { json: 1 }, faults }] }).success).toBe(
        false,
      );
    },
  );
});

describe('bodyLimit policy', () => {
  it('refuses a declared Content-Length over the limit before reading anything', async () => {
    const { route, build } = routeOf({ bodyLimit: '1kb' });
    const ctx = createTestContext({ route, method: 'POST', headers: { 'content-length': '2048' } });
    const { passed, error } = await runMiddleware(createBodyLimitPolicy(route, build)!, ctx);
    expect(passed).toBe(false);
    expect(error).toMatchObject({ code: 'GW_BODY_TOO_LARGE', status: 413, headers: { connection: 'close' } });
    expect(upstreamBody(ctx)).toBeUndefined();
  });

  it('lets a body within the limit through untouched', async () => {
    const { route, build } = routeOf({ bodyLimit: '1kb' });
    const ctx = createTestContext({ route, method: 'POST', headers: { 'content-length': '1024' } });
    expect((await runMiddleware(createBodyLimitPolicy(route, build)!, ctx)).passed).toBe(true);
    expect(upstreamBody(ctx)).toBeUndefined();
  });
});
