import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { GatewayError, formatError, type ConfigProblem } from '../../src/errors.js';
import { createTempProject, type TempProject } from './temp-project.js';

const brokenConfig = `export default {
  port: '8080',
  services: {
    users: { targets: ['http://127.0.0.1:8001'], timeout: '10 sec' },
    orders: { targets: ['localhost:8003'], balance: 'round-robbin' },
  },
  routes: [
    { path: '/api/users', sevice: 'users' },
    { path: '/api/orders', service: 'ordres', stripPrefix: '/v1' },
    { path: 'api/payments', service: 'orders', methods: [] },
  ],
};
`;

function problemsOf(run: () => unknown): ConfigProblem[] {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'GW_CONFIG_INVALID') return [...error.problems];
    throw error;
  }
  throw new Error('expected GW_CONFIG_INVALID');
}

describe('every problem in a config file at once', () => {
  let project: TempProject;
  let error: GatewayError;
  beforeAll(async () => {
    project = await createTempProject({ 'gateway.config.ts': brokenConfig });
    try {
      await loadConfig({ cwd: project.dir });
    } catch (caught) {
      error = caught as GatewayError;
    }
  });
  afterAll(() => project.cleanup());

  it('fails with GW_CONFIG_INVALID naming the file', () => {
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.code).toBe('GW_CONFIG_INVALID');
    expect(error.file).toBe(project.path('gateway.config.ts'));
    expect(error.message).toContain(project.path('gateway.config.ts'));
  });

  it.each<[string, Partial<ConfigProblem>]>([
    ['wrong type', { path: 'port', expected: 'number', received: "'8080'" }],
    [
      'bad duration',
      {
        path: 'services.users.timeout',
        received: "'10 sec'",
        expected: expect.stringContaining("'10s'") as string,
      },
    ],
    [
      'bad URL',
      {
        path: 'services.orders.targets[0]',
        received: "'localhost:8003'",
        expected: expect.stringContaining('http(s) URL') as string,
      },
    ],
    [
      'enum typo',
      { path: 'services.orders.balance', received: "'round-robbin'", hint: "did you mean 'round-robin'?" },
    ],
    ['unknown key', { path: 'routes[0].sevice', message: 'unknown key', hint: "did you mean 'service'?" }],
    [
      'unknown service',
      { path: 'routes[1].service', message: "no service 'ordres'", hint: "did you mean 'orders'?" },
    ],
    [
      'stripPrefix off the path',
      { path: 'routes[1].stripPrefix', received: "'/v1'", hint: expect.stringContaining("'/api'") as string },
    ],
    [
      'path without a slash',
      { path: 'routes[2].path', message: "a route path starts with '/'", received: "'api/payments'" },
    ],
    ['empty methods', { path: 'routes[2].methods', message: 'needs at least 1 item' }],
  ])('reports %s', (_, expected) => {
    expect(error.problems).toContainEqual(expect.objectContaining(expected));
  });

  it('does not also ask for `service` where a misspelt key is the reason', () => {
    expect(error.problems.map((p) => p.path)).not.toContain('routes[0]');
  });

  it('reports nothing else', () => {
    expect(error.problems).toHaveLength(9);
  });

  it('prints one line per problem, in path order', () => {
    const text = formatError(error);
    expect(text.split('\n').filter((line) => line.startsWith('  • '))).toHaveLength(9);
    expect(text).toContain("routes[1].service: no service 'ordres'");
    expect(text.indexOf('routes[0].sevice')).toBeLessThan(text.indexOf('routes[1].service'));
  });
});

const service = { targets: ['http://127.0.0.1:8001'] };

describe('schema problems', () => {
  it.each<[string, unknown, Partial<ConfigProblem>]>([
    [
      'a missing required field',
      { routes: [{ service: 'users' }], services: { users: service } },
      { path: 'routes[0].path', message: 'missing', expected: 'string' },
    ],
    ['an unknown top-level key', { prot: 8080 }, { path: 'prot', hint: "did you mean 'port'?" }],
    [
      'an unknown key with nothing close',
      { services: { users: { ...service, zzzzzz: 1 } } },
      { path: 'services.users.zzzzzz', hint: expect.stringContaining('targets') as string },
    ],
    [
      'an unknown key inside a weighted target',
      { services: { users: { targets: [{ url: 'http://a', wieght: 2 }] } } },
      { path: 'services.users.targets[0].wieght', hint: "did you mean 'weight'?" },
    ],
    [
      'an unknown key in server options',
      { server: { shutdownGrase: '1s' } },
      { path: 'server.shutdownGrase', hint: "did you mean 'shutdownGrace'?" },
    ],
    [
      'a service name that is not an identifier',
      { services: { 'my svc': { targets: [] } } },
      { path: 'services["my svc"].targets', message: 'a service needs at least one target' },
    ],
    [
      'a wrong type in a union',
      { services: { users: { targets: [42] } } },
      { path: 'services.users.targets[0]', message: 'wrong type', received: '42' },
    ],
    ['a port out of range', { port: 70000 }, { path: 'port', message: 'must be ≤ 65535', received: '70000' }],
    ['a config that is not an object', 'hello', { path: '', message: 'wrong type', expected: 'object' }],
  ])('reports %s', (_, raw, expected) => {
    expect(problemsOf(() => resolveConfig(raw))).toContainEqual(expect.objectContaining(expected));
  });
});

describe('cross-field rules', () => {
  const services = { users: service, orders: service };
  it.each<[string, unknown[], Partial<ConfigProblem> | undefined]>([
    ['a route to a known service', [{ path: '/a', service: 'users' }], undefined],
    [
      'a route that names no service',
      [{ path: '/a' }],
      { path: 'routes[0]', message: 'a route needs `service` (or `mock` / `aggregate`)' },
    ],
    [
      'a service that does not exist and is not close',
      [{ path: '/a', service: 'billing' }],
      { path: 'routes[0].service', hint: "add 'billing' under `services`" },
    ],
    [
      'stripPrefix equal to the path',
      [{ path: '/api/users', service: 'users', stripPrefix: '/api/users' }],
      undefined,
    ],
    [
      'stripPrefix with a trailing slash',
      [{ path: '/api/users', service: 'users', stripPrefix: '/api/' }],
      undefined,
    ],
    [
      'stripPrefix across a :param',
      [{ path: '/api/:version/users', service: 'users', stripPrefix: '/api/v1' }],
      undefined,
    ],
    [
      'stripPrefix longer than the path',
      [{ path: '/api', service: 'users', stripPrefix: '/api/users' }],
      undefined,
    ],
    [
      'stripPrefix that stops mid-segment',
      [{ path: '/api/users', service: 'users', stripPrefix: '/ap' }],
      { path: 'routes[0].stripPrefix' },
    ],
    [
      'two routes with the same methods and path',
      [
        { path: '/a', methods: ['get'], service: 'users' },
        { path: '/a', methods: ['GET'], service: 'orders' },
      ],
      { path: 'routes[1]', message: "has the same id as routes[0] ('GET /a')" },
    ],
    [
      'the same path under different names',
      [
        { name: 'one', path: '/a', service: 'users' },
        { name: 'two', path: '/a', service: 'orders' },
      ],
      undefined,
    ],
  ])('%s', (_, routes, expected) => {
    const raw = { services, routes };
    if (expected === undefined) expect(() => resolveConfig(raw)).not.toThrow();
    else expect(problemsOf(() => resolveConfig(raw))).toEqual([expect.objectContaining(expected)]);
  });

  it('checks references even when the schema found other problems', () => {
    const problems = problemsOf(() =>
      resolveConfig({ port: 'x', services, routes: [{ path: '/a', service: 'user' }] }),
    );
    expect(problems.map((p) => p.path)).toEqual(['port', 'routes[0].service']);
  });
});

describe('a mistake inside a union key names the inner field (issue 15)', () => {
  let project: TempProject;
  afterAll(() => project?.cleanup());

  async function problemsOfRoute(extra: string): Promise<ConfigProblem[]> {
    project ??= await createTempProject();
    await project.write(
      'gateway.config.ts',
      `export default {
  services: { users: { targets: ['http://127.0.0.1:8001'] } },
  routes: [{ path: '/a', service: 'users', ${extra} }],
};\n`,
    );
    try {
      await loadConfig({ cwd: project.dir });
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'GW_CONFIG_INVALID') return [...error.problems];
      throw error;
    }
    throw new Error('expected GW_CONFIG_INVALID');
  }

  it.each<[string, string, Partial<ConfigProblem>]>([
    [
      'a limit written as a string',
      "rateLimit: { limit: '5', window: '1m' }",
      { path: 'routes[0].rateLimit.limit', message: 'wrong type', expected: 'number', received: "'5'" },
    ],
    [
      'a misspelt window',
      "rateLimit: { limit: 5, windw: '10s' }",
      { path: 'routes[0].rateLimit.windw', message: 'unknown key', hint: "did you mean 'window'?" },
    ],
    [
      'a misspelt key in a list of limits',
      "rateLimit: [{ limit: 5, windw: '10s' }]",
      { path: 'routes[0].rateLimit[0].windw', hint: "did you mean 'window'?" },
    ],
    [
      'a wrong type under limits',
      "rateLimit: { limits: [{ limit: 'x', window: '1m' }] }",
      { path: 'routes[0].rateLimit.limits[0].limit', expected: 'number' },
    ],
    [
      'a duration with a space',
      "rateLimit: { limit: 5, window: '10 s' }",
      { path: 'routes[0].rateLimit.window', received: "'10 s'" },
    ],
    [
      'a misspelt auth method in a list',
      "auth: ['apikey', 'jwt']",
      { path: 'routes[0].auth[0]', expected: "'apiKey' | 'jwt'", hint: "did you mean 'apiKey'?" },
    ],
    [
      'a misspelt auth method',
      "auth: 'apikey'",
      { path: 'routes[0].auth', message: 'not an allowed value', hint: "did you mean 'apiKey'?" },
    ],
  ])('%s', async (_, extra, expected) => {
    const problems = await problemsOfRoute(extra);
    expect(problems).toEqual([expect.objectContaining(expected)]);
  });
});
