import { describe, expect, it } from 'vitest';
import { diffConfig, sameValue } from '../../src/config/diff-config.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { routeId } from '../../src/config/route-id.js';

const services = {
  users: { targets: ['http://127.0.0.1:8001'] },
  orders: { targets: ['http://127.0.0.1:8003'] },
};

function config(routes: unknown[], extra: Record<string, unknown> = {}) {
  return resolveConfig({ services, routes, ...extra });
}

describe('routeId', () => {
  it.each([
    [{ path: '/api/users' }, '* /api/users'],
    [{ path: '/api/users', methods: ['GET', 'POST'] }, 'GET,POST /api/users'],
    [{ path: '/api/users', methods: ['GET'], name: 'list-users' }, 'list-users'],
  ])('%o → %s', (route, expected) => {
    expect(routeId(route)).toBe(expected);
  });
});

describe('diffConfig', () => {
  it('lists every route as added on the first load', () => {
    const next = config([
      { path: '/a', service: 'users' },
      { path: '/b', methods: ['GET'], service: 'orders' },
    ]);
    expect(diffConfig(undefined, next)).toEqual({ added: ['* /a', 'GET /b'], removed: [], changed: [] });
  });

  it('finds added, removed and changed routes by id, whatever their order', () => {
    const before = config([
      { path: '/a', service: 'users' },
      { path: '/b', service: 'users' },
      { name: 'c', path: '/c', service: 'users' },
      { path: '/d', service: 'users' },
    ]);
    const after = config([
      { path: '/d', service: 'users' },
      { path: '/b', service: 'orders' },
      { name: 'c', path: '/c2', service: 'users' },
      { path: '/e', service: 'users' },
    ]);
    expect(diffConfig(before, after)).toEqual({ added: ['* /e'], removed: ['* /a'], changed: ['* /b', 'c'] });
  });

  it('reports nothing when a reload changes nothing, functions included', () => {
    const build = () => config([{ path: '/a', service: 'users', rewrite: (p: string) => p.slice(1) }]);
    expect(diffConfig(build(), build())).toEqual({ added: [], removed: [], changed: [] });
  });

  it('sees a changed function body', () => {
    const before = config([{ path: '/a', service: 'users', rewrite: (p: string) => p.slice(1) }]);
    const after = config([{ path: '/a', service: 'users', rewrite: (p: string) => p.slice(2) }]);
    expect(diffConfig(before, after).changed).toEqual(['* /a']);
  });

  it('counts a route as changed when its service changed', () => {
    const before = config([
      { path: '/a', service: 'users' },
      { path: '/b', service: 'orders' },
    ]);
    const after = resolveConfig({
      services: { ...services, users: { targets: ['http://127.0.0.1:9001'] } },
      routes: [
        { path: '/a', service: 'users' },
        { path: '/b', service: 'orders' },
      ],
    });
    expect(diffConfig(before, after)).toEqual({ added: [], removed: [], changed: ['* /a'] });
  });
});

describe('sameValue', () => {
  it.each([
    [{ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }, true],
    [{ a: 1, b: undefined }, { a: 1 }, true],
    [{ a: [1, 2] }, { a: [2, 1] }, false],
    [[1], { 0: 1 }, false],
    [/x/g, /x/g, true],
    [/x/g, /x/i, false],
    [null, {}, false],
  ])('%o vs %o → %s', (a, b, expected) => {
    expect(sameValue(a, b)).toBe(expected);
  });
});
