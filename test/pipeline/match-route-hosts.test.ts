import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { routeSchema } from '../../src/config/schema.js';
import { isGatewayError } from '../../src/errors.js';
import { compileAllowedHosts } from '../../src/pipeline/allowed-hosts.js';
import { compileRoute } from '../../src/pipeline/compile-route.js';
import { createRouteTable } from '../../src/pipeline/match-route.js';

type RouteInput = { path: string; host?: string; methods?: string[]; name?: string };

function tableOf(routes: RouteInput[]) {
  return createRouteTable(routes.map((route) => compileRoute(routeSchema.parse({ service: 's', ...route }))));
}

/** `host path` of the winner, or the kind of miss. */
function winner(routes: RouteInput[], host: string | undefined, path: string, method = 'GET'): string {
  const result = tableOf(routes).match(method, path, host);
  if (result.kind !== 'matched') return result.kind;
  const { config } = result.match.route;
  return `${config.host ?? '-'} ${config.path}`;
}

describe('host routes: exact host > wildcard host (longer suffix first) > no host, then path rules', () => {
  const routes: RouteInput[] = [
    { path: '/' },
    { path: '/', host: '*.localhost' },
    { path: '/', host: '*.preview.localhost' },
    { path: '/billing', host: '*.localhost' },
    { path: '/', host: 'api.localhost' },
    { path: '/deep/path', host: 'other.localhost' },
  ];
  it.each([
    ['api.localhost', '/billing/x', 'api.localhost /'],
    ['API.Localhost:8443', '/x', 'api.localhost /'],
    ['api.localhost.', '/x', 'api.localhost /'],
    ['x.preview.localhost', '/', '*.preview.localhost /'],
    ['a.b.preview.localhost', '/billing', '*.preview.localhost /'],
    ['preview.localhost', '/', '*.localhost /'],
    ['shop.localhost', '/billing/7', '*.localhost /billing'],
    ['shop.localhost', '/other', '*.localhost /'],
    // The exact host has no route for this path: the next tier answers.
    ['other.localhost', '/else', '*.localhost /'],
    ['other.localhost', '/deep/path/1', 'other.localhost /deep/path'],
    ['localhost', '/billing', '- /'],
    ['127.0.0.1:8080', '/', '- /'],
    ['[::1]:8080', '/', '- /'],
  ])('Host %s, %s → %s', (host, path, expected) => {
    expect(winner(routes, host, path)).toBe(expected);
    // File order does not matter.
    expect(winner([...routes].reverse(), host, path)).toBe(expected);
  });

  it('without a Host only routes without `host` match', () => {
    expect(winner(routes, undefined, '/billing')).toBe('- /');
    expect(winner([{ path: '/', host: 'api.localhost' }], undefined, '/')).toBe('not-found');
  });

  it('a host route is not reached from another host', () => {
    const only: RouteInput[] = [
      { path: '/', host: 'api.localhost' },
      { path: '/', host: '*.preview.localhost' },
    ];
    expect(winner(only, 'app.localhost', '/')).toBe('not-found');
    expect(winner(only, 'preview.localhost', '/')).toBe('not-found');
    expect(winner(only, 'xapi.localhost', '/')).toBe('not-found');
    expect(winner(only, 'x.preview.localhost.evil.test', '/')).toBe('not-found');
  });

  it('a method the host route refuses falls through to a less specific route, else 405 with every allowed method', () => {
    const set: RouteInput[] = [
      { path: '/api', host: 'api.localhost', methods: ['POST'] },
      { path: '/api', host: '*.localhost', methods: ['PUT'] },
    ];
    expect(winner([...set, { path: '/api' }], 'api.localhost', '/api', 'GET')).toBe('- /api');
    const result = tableOf(set).match('GET', '/api', 'api.localhost');
    expect(result).toEqual({ kind: 'method-not-allowed', allowed: ['POST', 'PUT'] });
  });

  it('params come from the route that won', () => {
    const result = tableOf([{ path: '/u/:id', host: '*.localhost' }, { path: '/u/me' }]).match(
      'GET',
      '/u/me',
      'a.localhost',
    );
    expect(result.kind === 'matched' && result.match.params).toEqual({ id: 'me' });
  });

  it('the same path on two hosts is not shadowed; on the same host (any case) it is', () => {
    const apart = tableOf([
      { path: '/a', host: 'api.localhost' },
      { path: '/a', host: 'app.localhost' },
      { path: '/a' },
    ]);
    expect(apart.shadowed).toEqual([]);
    const same = tableOf([
      { path: '/a', host: 'api.localhost', name: 'one' },
      { path: '/a', host: 'API.localhost', name: 'two' },
    ]);
    expect(same.shadowed.map((s) => [s.route.id, s.by.id])).toEqual([['two', 'one']]);
  });

  it('1,000 host routes: every host finds its own route and a wildcard host its own', () => {
    const many: RouteInput[] = [];
    for (let i = 0; i < 500; i++) {
      many.push({ path: `/svc${i % 10}`, host: `app${i}.localhost` });
      many.push({ path: '/', host: `*.pr${i}.localhost` });
    }
    const table = tableOf(many);
    for (let i = 0; i < 500; i += 37) {
      const own = table.match('GET', `/svc${i % 10}/x`, `app${i}.localhost`);
      expect(own.kind === 'matched' && own.match.route.config.host).toBe(`app${i}.localhost`);
      const wild = table.match('GET', '/any', `feature.pr${i}.localhost`);
      expect(wild.kind === 'matched' && wild.match.route.config.host).toBe(`*.pr${i}.localhost`);
    }
    expect(table.match('GET', '/svc2', 'app1.localhost').kind).toBe('not-found');
  });
});

function problemsOf(config: unknown): Array<{ path: string; hint?: string }> {
  try {
    resolveConfig(config);
  } catch (error) {
    if (isGatewayError(error) && error.code === 'GW_CONFIG_INVALID')
      return error.problems.map((p) => ({ path: p.path, hint: p.hint }));
    throw error;
  }
  return [];
}

describe('host patterns in the config', () => {
  const services = { s: { targets: ['http://127.0.0.1:9'] } };
  it.each([
    ['https://api.localhost/x', /'api\.localhost'/],
    ['api.localhost:8443', /'api\.localhost'/],
    ['*', /leave `host` out/],
    ['api.*.localhost', /leftmost/],
    ['*.*.localhost', /leftmost/],
    ['api localhost', /letters, digits/],
    ['-api.localhost', /letters, digits/],
    ['api..localhost', /letters, digits/],
    ['api.localhost.', /'api\.localhost'/],
  ])('%s is a GW_CONFIG_INVALID at routes[0].host with a hint', (host, hint) => {
    const problems = problemsOf({ services, routes: [{ path: '/', service: 's', host }] });
    expect(problems.map((p) => p.path)).toEqual(['routes[0].host']);
    expect(problems[0]!.hint).toMatch(hint);
  });

  it.each(['api.localhost', 'API.LocalHost', '*.preview.localhost', 'shop.test', '127.0.0.1', 'my_box.lan'])(
    '%s is a host pattern',
    (host) => {
      expect(problemsOf({ services, routes: [{ path: '/', service: 's', host }] })).toEqual([]);
    },
  );

  it('tls.hosts entries are checked the same way', () => {
    const problems = problemsOf({ tls: { hosts: ['shop.test', 'shop.test:443'] } });
    expect(problems.map((p) => p.path)).toEqual(['tls.hosts[1]']);
  });

  it('two routes with the same path on different hosts have different ids', () => {
    const config = resolveConfig({
      services,
      routes: [
        { path: '/', service: 's', host: 'api.localhost' },
        { path: '/', service: 's', host: 'app.localhost' },
        { path: '/', service: 's' },
      ],
    });
    expect(config.routes.map((r) => compileRoute(r).id)).toEqual([
      '* api.localhost/',
      '* app.localhost/',
      '* /',
    ]);
    expect(
      problemsOf({
        services,
        routes: [
          { path: '/', service: 's', host: 'a.localhost' },
          { path: '/', service: 's', host: 'A.localhost' },
        ],
      }).map((p) => p.path),
    ).toEqual(['routes[1]']);
  });
});

describe('route hosts are hosts gw answers (the DNS-rebinding guard lets them through)', () => {
  it('an exact or wildcard route host, and a tls host, are allowed without allowedHosts', () => {
    const config = resolveConfig({
      services: { s: { targets: ['http://127.0.0.1:9'] } },
      routes: [
        { path: '/', service: 's', host: 'api.test' },
        { path: '/', service: 's', host: '*.preview.test' },
      ],
      tls: { hosts: ['shop.test'] },
    });
    const allowed = compileAllowedHosts(config);
    expect(allowed.check('api.test:8080')).toBeUndefined();
    expect(allowed.check('x.preview.test')).toBeUndefined();
    expect(allowed.check('shop.test')).toBeUndefined();
    expect(allowed.check('preview.test')?.code).toBe('GW_HOST_NOT_ALLOWED');
    expect(allowed.check('evil.test')?.code).toBe('GW_HOST_NOT_ALLOWED');
  });
});
