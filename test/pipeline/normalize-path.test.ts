import { describe, expect, it } from 'vitest';
import { normalizePath, splitUrl } from '../../src/pipeline/normalize-path.js';

describe('normalizePath: one canonical path per request', () => {
  it.each([
    ['/api/users', '/api/users'],
    ['/api/users/', '/api/users/'],
    ['//api///users//7', '/api/users/7'],
    ['/api/./users/./7', '/api/users/7'],
    ['/api/users/7/..', '/api/users/'],
    ['/api/users/../orders', '/api/orders'],
    ['/api/users/../../admin', '/admin'],
    ['/api/users/%2e%2e/%2E%2E/admin', '/admin'],
    ['/api/users/.%2e/admin', '/api/admin'],
    ['/api%2fusers%2F7', '/api/users/7'],
    ['/api/users/..%2f..%2fadmin', '/admin'],
    ['/api\\users', '/api/users'],
    ['/api/users/%5c..%5cadmin', '/api/admin'],
    ['/api/users/a%20b', '/api/users/a%20b'],
  ])('%s → %s', (raw, canonical) => {
    expect(normalizePath(raw)).toEqual({ ok: true, path: canonical });
  });

  it.each(['/..', '/api/../..', '/%2e%2e/etc/passwd', '/api/..%2f..%2f..', 'api/users', '', '*'])(
    'refuses %j (climbs above the root or is not a path)',
    (raw) => {
      expect(normalizePath(raw).ok).toBe(false);
    },
  );

  it('is idempotent', () => {
    for (const raw of ['/a//b/../c/%2e/d', '/x/%2F/y/', '/a/./b/.']) {
      const once = normalizePath(raw);
      expect(once.ok).toBe(true);
      if (once.ok) expect(normalizePath(once.path)).toEqual(once);
    }
  });
});

describe('splitUrl', () => {
  it.each([
    ['/a/b?x=1&y=2', '/a/b', '?x=1&y=2'],
    ['/a/b', '/a/b', ''],
    ['/a?', '/a', '?'],
    ['/a?b=/../c', '/a', '?b=/../c'],
  ])('%s', (url, path, search) => {
    expect(splitUrl(url)).toEqual({ path, search });
  });
});
