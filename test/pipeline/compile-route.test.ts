import { describe, expect, it } from 'vitest';
import { routeSchema } from '../../src/config/schema.js';
import { compileRoute } from '../../src/pipeline/compile-route.js';

const upstreamPath = (route: Record<string, unknown>, path: string) =>
  compileRoute(routeSchema.parse({ path: '/api', service: 's', ...route })).toUpstreamPath(path);

describe('the upstream path: stripPrefix and rewrite', () => {
  it.each([
    [{}, '/api/users/7', '/api/users/7'],
    [{ stripPrefix: '/api' }, '/api/users/7', '/users/7'],
    [{ stripPrefix: '/api/' }, '/api/users/7', '/users/7'],
    [{ stripPrefix: '/api' }, '/api', '/'],
    [{ stripPrefix: '/api' }, '/apix/users', '/apix/users'],
    [{ rewrite: { from: '^/api/v1/(.*)$', to: '/v2/$1' } }, '/api/v1/users', '/v2/users'],
    [{ rewrite: { from: '^/api', to: '' } }, '/api', '/'],
    [{ stripPrefix: '/api', rewrite: { from: '^/users', to: '/people' } }, '/api/users/7', '/people/7'],
    [{ rewrite: (path: string) => path.toUpperCase() }, '/api/users', '/API/USERS'],
    [{ rewrite: (path: string) => path.replace('/api/', '') }, '/api/users', '/users'],
  ])('%j: %s → %s', (route, path, expected) => {
    expect(upstreamPath(route, path)).toBe(expected);
  });

  it('gives a stable id: the name, else methods and path', () => {
    expect(compileRoute(routeSchema.parse({ path: '/a', service: 's' })).id).toBe('* /a');
    expect(compileRoute(routeSchema.parse({ path: '/a', service: 's', methods: ['GET', 'POST'] })).id).toBe(
      'GET,POST /a',
    );
    expect(compileRoute(routeSchema.parse({ path: '/a', service: 's', name: 'users' })).id).toBe('users');
  });
});
