import { describe, expect, it } from 'vitest';
import { routeSchema } from '../../src/config/schema.js';
import { compileRoute } from '../../src/pipeline/compile-route.js';
import { createRouteTable } from '../../src/pipeline/match-route.js';

const table = (methods: string[]) =>
  createRouteTable([compileRoute(routeSchema.parse({ path: '/api/users', service: 'users', methods }))]);

describe('HEAD on routes that serve GET', () => {
  it('matches HEAD where GET is allowed', () => {
    expect(table(['GET']).match('HEAD', '/api/users').kind).toBe('matched');
  });

  it('still refuses HEAD where only POST is allowed', () => {
    expect(table(['POST']).match('HEAD', '/api/users')).toEqual({
      kind: 'method-not-allowed',
      allowed: ['POST'],
    });
  });
});
