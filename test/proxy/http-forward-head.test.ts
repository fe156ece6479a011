import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createLocationRewrite } from '../../src/proxy/rewrite-location.js';
import { framingOf, responseHeaderList } from '../../src/proxy/upstream-head.js';

// The pure parts of the forwarder's answer head: framing by status and method, the flat header
// list, and the Location mapping (nginx's `proxy_redirect default`).

function requestWithHost(host: string | undefined): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  if (host !== undefined) req.headers.host = host;
  return req;
}

describe('framingOf', () => {
  it.each([
    [200, 'GET', true, 'trailers'],
    [200, 'HEAD', true, 'plain'],
    [200, 'GET', false, 'plain'],
    [204, 'GET', true, 'none'],
    [304, 'GET', true, 'none'],
  ] as const)('%i %s (chunked client: %s) → %s', (status, method, chunked, framing) => {
    expect(framingOf(status, method, chunked)).toBe(framing);
  });
});

describe('responseHeaderList', () => {
  const req = requestWithHost('gw.localhost:3000');
  const raw = [
    'Content-Length',
    '5',
    'Trailer',
    'x-sum',
    'Connection',
    'x-hop',
    'X-Hop',
    '1',
    'Set-Cookie',
    'a',
  ];

  it('drops hop-by-hop fields and those Connection names; the gateway’s own win', () => {
    expect(responseHeaderList(raw, { 'set-cookie': 'own' }, 'plain', undefined, req)).toEqual([
      'Content-Length',
      '5',
      'set-cookie',
      'own',
    ]);
  });

  it('keeps Trailer only for a chunked upstream body relayed chunked', () => {
    const chunked = ['Transfer-Encoding', 'chunked', 'Trailer', 'x-sum'];
    expect(responseHeaderList(chunked, {}, 'trailers', undefined, req)).toEqual(['Trailer', 'x-sum']);
    expect(responseHeaderList(chunked, {}, 'plain', undefined, req)).toEqual([]);
  });

  it('drops Content-Length on a 204/304', () => {
    expect(responseHeaderList(['Content-Length', '5', 'ETag', '"1"'], {}, 'none', undefined, req)).toEqual([
      'ETag',
      '"1"',
    ]);
  });
});

describe('createLocationRewrite', () => {
  const targets = [
    { url: new URL('http://127.0.0.1:8001/base/') },
    { url: new URL('https://api.localhost') },
  ];
  const req = requestWithHost('gw.localhost:3000');

  it.each([
    ['http://127.0.0.1:8001/base/users/1?x=1#top', 'http://gw.localhost:3000/api/users/1?x=1#top'],
    ['http://127.0.0.1:8001/base', 'http://gw.localhost:3000/api/'],
    ['https://api.localhost:443/login', 'http://gw.localhost:3000/api/login'],
    ['HTTP://127.0.0.1:8001/base/a', 'http://gw.localhost:3000/api/a'],
    ['http://127.0.0.1:8001/other', 'http://127.0.0.1:8001/other'],
    ['http://127.0.0.1:8001/basement', 'http://127.0.0.1:8001/basement'],
    ['http://127.0.0.1:8002/base/a', 'http://127.0.0.1:8002/base/a'],
    ['http://api.localhost/login', 'http://api.localhost/login'],
    ['/relative', '/relative'],
    ['//127.0.0.1:8001/base/a', '//127.0.0.1:8001/base/a'],
  ])('%s → %s (stripPrefix /api)', (location, expected) => {
    expect(createLocationRewrite(targets, '/api', false)(location, req)).toBe(expected);
  });

  it('maps only the origin and the target path when the route rewrites paths', () => {
    expect(createLocationRewrite(targets, '/api', true)('http://127.0.0.1:8001/base/a', req)).toBe(
      'http://gw.localhost:3000/a',
    );
  });

  it('leaves the value alone when the client sent no Host (HTTP/1.0)', () => {
    const location = 'http://127.0.0.1:8001/base/a';
    expect(createLocationRewrite(targets, undefined, false)(location, requestWithHost(undefined))).toBe(
      location,
    );
  });
});
