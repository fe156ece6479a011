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
    ['/%61dmin', '/admin'],
    ['/%41%42%43/%30%39', '/ABC/09'],
    ['/a%2Db%5f%7E%2E', '/a-b_~.'],
    ['/caf%C3%A9', '/caf%C3%A9'],
    ['/%25%32%66', '/%252f'],
    ['/%252e%252e/x', '/%252e%252e/x'],
    ['/x/%3F%23', '/x/%3F%23'],
  ])('%s → %s', (raw, canonical) => {
    expect(normalizePath(raw)).toEqual({ ok: true, path: canonical });
  });

  it.each(['/..', '/api/../..', '/%2e%2e/etc/passwd', '/api/..%2f..%2f..', 'api/users', '', '*'])(
    'refuses %j (climbs above the root or is not a path)',
    (raw) => {
      expect(normalizePath(raw).ok).toBe(false);
    },
  );

  it.each(['/a/..;/b', '/a/..;x=1/b', '/a/.;/b', '/a/%2e%2E;/b', '/a/..%3B/b', '/..;'])(
    'refuses %j (a dot-segment with ;parameters, which servlet containers climb)',
    (raw) => {
      expect(normalizePath(raw).ok).toBe(false);
    },
  );

  it.each(['/a/b;v=1', '/a/...;x', '/a/x..;y', '/a/.well;x'])('keeps %j (parameters on a name)', (raw) => {
    expect(normalizePath(raw)).toEqual({ ok: true, path: raw });
  });

  it('is idempotent', () => {
    for (const raw of ['/a//b/../c/%2e/d', '/x/%2F/y/', '/a/./b/.', '/%25%32%66/%61', '/%2525']) {
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
