import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { mockSchema } from '../../src/middleware/mock-schema.js';
import { createMockPolicy } from '../../src/middleware/mock.js';
import { compileRoute } from '../../src/pipeline/compile-route.js';
import type { BuildContext } from '../../src/pipeline/types.js';
import { createTestContext, runMiddleware } from '../helpers/context.js';

function policyFor(config: unknown) {
  const resolved = configSchema.parse(config);
  const route = compileRoute(resolved.routes[0]!);
  return { route, policy: createMockPolicy(route, { config: resolved } as BuildContext) };
}

describe('mock schema', () => {
  it('defaults status 200, no headers, no delay', () => {
    expect(mockSchema.parse({ json: { a: 1 } })).toEqual({
      status: 200,
      json: { a: 1 },
      headers: {},
      delay: 0,
    });
  });

  it.each([
    [{ json: 1, body: 'x' }, 'both json and body'],
    [{ status: 99 }, 'a status out of range'],
    [{ jsn: 1 }, 'an unknown key'],
    [{ delay: 'soon' }, 'a delay that is not a duration'],
  ])('refuses %o (%s)', (mock, _why) => {
    expect(mockSchema.safeParse(mock).success).toBe(false);
  });

  it('lets a route with a mock do without a service, and names mock in the error when neither is there', () => {
    expect(() => resolveConfig({ routes: [{ path: '/a', mock: { json: 1 } }] })).not.toThrow();
    expect(() => resolveConfig({ routes: [{ path: '/a' }] })).toThrow(
      expect.objectContaining({
        problems: [expect.objectContaining({ message: expect.stringContaining('`mock`') })],
      }),
    );
  });

  it("refuses a fallback other than 'mock'", () => {
    expect(() =>
      resolveConfig({ services: { s: { targets: ['http://127.0.0.1:1'], fallback: 'cache' } }, routes: [] }),
    ).toThrow(expect.objectContaining({ code: 'GW_CONFIG_INVALID' }));
  });
});

describe('mock policy', () => {
  it('is absent on routes without a mock', () => {
    expect(
      policyFor({
        services: { s: { targets: ['http://127.0.0.1:1'] } },
        routes: [{ path: '/a', service: 's' }],
      }).policy,
    ).toBeUndefined();
  });

  it('answers without calling next, and gives each request its own header object', async () => {
    const { route, policy } = policyFor({
      routes: [{ path: '/a', mock: { json: { ok: true }, headers: { 'X-A': '1' } } }],
    });
    const first = createTestContext({ route });
    const { passed } = await runMiddleware(policy!, first);
    expect(passed).toBe(false);
    expect(first.response).toMatchObject({
      status: 200,
      headers: { 'x-a': '1', 'content-type': 'application/json' },
    });
    expect(first.response!.body.toString()).toBe('{"ok":true}');
    first.response!.headers['x-a'] = 'edited';
    const second = createTestContext({ route });
    await runMiddleware(policy!, second);
    expect(second.response!.headers['x-a']).toBe('1');
  });
});
