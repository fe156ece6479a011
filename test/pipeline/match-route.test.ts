import { describe, expect, it } from 'vitest';
import { routeSchema } from '../../src/config/schema.js';
import { compileRoute } from '../../src/pipeline/compile-route.js';
import { closestRoutes, createRouteTable } from '../../src/pipeline/match-route.js';
import type { CompiledRoute } from '../../src/pipeline/types.js';

type RouteInput = { path: string; methods?: string[]; name?: string };

function table(routes: RouteInput[]) {
  const compiled = routes.map((route) => compileRoute(routeSchema.parse({ service: 's', ...route })));
  return { compiled, table: createRouteTable(compiled) };
}

function matchedPath(routes: RouteInput[], method: string, path: string): string | undefined {
  const result = table(routes).table.match(method, path);
  return result.kind === 'matched' ? result.match.route.config.path : undefined;
}

describe('route matching: a path matches itself and below it at a segment boundary', () => {
  const routes = [{ path: '/api/users' }];
  it.each([
    ['/api/users', '/api/users'],
    ['/api/users/', '/api/users'],
    ['/api/users/7', '/api/users'],
    ['/api/users/7/orders', '/api/users'],
    ['/api/usersadmin', undefined],
    ['/api/user', undefined],
    ['/api', undefined],
    ['/', undefined],
    ['/API/users', undefined],
  ])('%s → %s', (path, expected) => {
    expect(matchedPath(routes, 'GET', path)).toBe(expected);
  });
});

describe('route matching: :params and a trailing *', () => {
  it('a :param matches exactly one non-empty segment and is decoded', () => {
    const { table: t } = table([{ path: '/api/users/:id/orders' }]);
    const result = t.match('GET', '/api/users/a%20b/orders/9');
    expect(result.kind).toBe('matched');
    if (result.kind === 'matched') expect(result.match.params).toEqual({ id: 'a b' });
    expect(t.match('GET', '/api/users//orders').kind).toBe('not-found');
    expect(t.match('GET', '/api/users/7').kind).toBe('not-found');
  });

  it('a trailing * captures the rest of the path', () => {
    const { table: t } = table([{ path: '/files/*' }]);
    const result = t.match('GET', '/files/a/b/c.txt');
    expect(result.kind).toBe('matched');
    if (result.kind === 'matched') expect(result.match.params['*']).toBe('a/b/c.txt');
    const bare = t.match('GET', '/files');
    expect(bare.kind).toBe('matched');
    expect(t.match('GET', '/filesx/a').kind).toBe('not-found');
  });
});

describe('route matching: the most specific route wins whatever the file order', () => {
  const sets: Array<{ name: string; routes: RouteInput[]; cases: Array<[string, string]> }> = [
    {
      name: 'literal > param > wildcard',
      routes: [{ path: '/api/*' }, { path: '/api/users/:id' }, { path: '/api/users/me' }],
      cases: [
        ['/api/users/me', '/api/users/me'],
        ['/api/users/7', '/api/users/:id'],
        ['/api/orders/1', '/api/*'],
        ['/api/users', '/api/*'],
      ],
    },
    {
      name: 'longer > shorter',
      routes: [{ path: '/api' }, { path: '/api/users' }, { path: '/api/users/admin' }],
      cases: [
        ['/api/users/admin/x', '/api/users/admin'],
        ['/api/users/7', '/api/users'],
        ['/api/orders', '/api'],
      ],
    },
    {
      name: 'a param deeper beats a literal prefix that ended',
      routes: [{ path: '/api/users' }, { path: '/api/users/:id/avatar' }],
      cases: [
        ['/api/users/7/avatar', '/api/users/:id/avatar'],
        ['/api/users/7/other', '/api/users'],
      ],
    },
  ];
  for (const set of sets) {
    for (const order of ['as written', 'reversed']) {
      it(`${set.name} (${order})`, () => {
        const routes = order === 'reversed' ? [...set.routes].reverse() : set.routes;
        for (const [path, expected] of set.cases)
          expect(matchedPath(routes, 'GET', path), path).toBe(expected);
      });
    }
  }
});

describe('route matching: methods', () => {
  it('methods default to all', () => {
    const { table: t } = table([{ path: '/api' }]);
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']) {
      expect(t.match(method, '/api/x').kind, method).toBe('matched');
    }
  });

  it('a path that exists only for other methods is method-not-allowed with the allowed list', () => {
    const { table: t } = table([
      { path: '/api/orders', methods: ['POST'] },
      { path: '/api/orders', methods: ['PUT', 'DELETE'], name: 'edit' },
    ]);
    expect(t.match('GET', '/api/orders/1')).toEqual({
      kind: 'method-not-allowed',
      allowed: ['DELETE', 'POST', 'PUT'],
    });
  });

  it('a less specific route that allows the method still wins over a 405', () => {
    const { table: t } = table([{ path: '/api/orders', methods: ['POST'] }, { path: '/api' }]);
    const result = t.match('GET', '/api/orders');
    expect(result.kind === 'matched' && result.match.route.config.path).toBe('/api');
  });
});

describe('route table: routes that can never win', () => {
  it('reports a route shadowed by an equally specific one with the same methods', () => {
    const { table: t } = table([
      { path: '/api/users/:id', methods: ['GET'] },
      { path: '/api/users/:userId', methods: ['GET', 'POST'], name: 'second' },
    ]);
    expect(t.shadowed).toHaveLength(1);
    expect(t.shadowed[0]!.route.id).toBe('second');
    expect(t.shadowed[0]!.methods).toEqual(['GET']);
  });

  it('does not report routes with disjoint methods or different specificity', () => {
    const { table: t } = table([
      { path: '/api/users', methods: ['GET'] },
      { path: '/api/users', methods: ['POST'] },
      { path: '/api/users/:id' },
      { path: '/api/*' },
    ]);
    expect(t.shadowed).toEqual([]);
  });
});

describe('closest routes for a 404', () => {
  it('names the routes that share the longest prefix first', () => {
    const { compiled } = table([{ path: '/api/users' }, { path: '/api/orders' }, { path: '/health' }]);
    expect(closestRoutes(compiled as CompiledRoute[], '/api/user', 1)).toEqual(['/api/users']);
  });
});
