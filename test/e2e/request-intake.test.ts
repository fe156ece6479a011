import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parseRawAnswer, rawExchange } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';

/**
 * What gw accepts as a request head, sent as raw bytes (a client library would fix them up first):
 * the request-target forms of RFC 9112 §3.2, Host and other single-valued fields, transfer codings,
 * and the methods and upgrades a reverse proxy must answer rather than drop.
 */
const { upstream, gateway } = useTestServers();

async function setup() {
  const up = await upstream();
  const gw = await gateway({
    services: { s: { targets: [up.url] } },
    routes: [
      { path: '/api', service: 's' },
      { path: '/ws', service: 's', websocket: true },
      { path: '/diagnostics', service: 's', methods: ['GET', 'TRACE'] },
    ],
  });
  return { up, gw };
}

/** Sends `head` (lines without the final blank line) and `body`, returns the answer. */
async function exchange(url: string, head: string[], body = '') {
  return parseRawAnswer(await rawExchange(url, `${head.join('\r\n')}\r\n\r\n${body}`));
}

describe('the request target (RFC 9112 §3.2)', () => {
  it('accepts the absolute form a client sends to its HTTP proxy; the target authority replaces Host', async () => {
    const { up, gw } = await setup();
    const answer = await exchange(gw.url, [
      'GET http://shop.localhost:3000/api/get?x=1 HTTP/1.1',
      'Host: other.localhost',
      'Connection: close',
    ]);
    expect(answer.status).toBe(200);
    expect(up.requests).toHaveLength(1);
    expect(up.requests[0]!.url).toBe('/api/get?x=1');
    expect(up.requests[0]!.headers.host).toBe('shop.localhost:3000');
    expect(up.requests[0]!.headers['x-forwarded-host']).toBe('shop.localhost:3000');
  });

  it('routes an absolute-form target with no path as /, and matches its path case-insensitively by scheme', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/', service: 's' }],
    });
    const answer = await exchange(gw.url, [
      'GET HTTP://a.localhost?q=1 HTTP/1.1',
      'Host: a.localhost',
      'Connection: close',
    ]);
    expect(answer.status).toBe(200);
    expect(up.requests[0]!.url).toBe('/?q=1');
  });

  it('refuses an absolute-form target carrying user info (RFC 9110 §4.2.4) with 400', async () => {
    const { up, gw } = await setup();
    const answer = await exchange(gw.url, [
      'GET http://admin:secret@a.localhost/api HTTP/1.1',
      'Host: a.localhost',
      'Connection: close',
    ]);
    expect(answer.status).toBe(400);
    expect(answer.json?.code).toBe('GW_BAD_REQUEST');
    expect(JSON.stringify(answer.json)).not.toContain('secret');
    const finished = gw.seen.find((e) => e.type === 'request-finished');
    expect(finished).toBeDefined();
    expect(JSON.stringify(finished)).not.toContain('secret');
    expect(up.requests).toEqual([]);
  });
});

describe('Host and single-valued fields', () => {
  it('answers an HTTP/1.1 request without Host with its own 400 problem (RFC 9112 §3.2)', async () => {
    const { up, gw } = await setup();
    const answer = await exchange(gw.url, ['GET /api/a HTTP/1.1', 'Connection: close']);
    expect(answer.status).toBe(400);
    expect(answer.head).toMatch(/content-type: application\/problem\+json/i);
    expect(answer.json?.code).toBe('GW_BAD_REQUEST');
    expect(up.requests).toEqual([]);
  });

  it.each([
    ['Host', ['Host: a.localhost', 'host: evil.example']],
    ['Authorization', ['Host: a.localhost', 'Authorization: Bearer one', 'Authorization: Bearer two']],
    ['Content-Type', ['Host: a.localhost', 'Content-Type: text/plain', 'CONTENT-TYPE: application/json']],
  ])('answers two %s lines with 400 and forwards nothing', async (_name, lines) => {
    const { up, gw } = await setup();
    const answer = await exchange(
      gw.url,
      ['POST /api/a HTTP/1.1', ...lines, 'Content-Length: 2', 'Connection: close'],
      '{}',
    );
    expect(answer.status).toBe(400);
    expect(answer.json?.code).toBe('GW_BAD_REQUEST');
    expect(up.requests).toEqual([]);
  });

  it('answers a request with more header lines than an upstream may keep with 431, before any reaches it', async () => {
    const { up, gw } = await setup();
    const many = Array.from({ length: 1000 }, (_, i) => `X-H${i}: v`);
    const answer = await exchange(gw.url, [
      'GET /api/a HTTP/1.1',
      'Host: a.localhost',
      ...many,
      'Connection: close',
    ]);
    expect(answer.status).toBe(431);
    expect(answer.json?.code).toBe('GW_BAD_REQUEST');
    expect(up.requests).toEqual([]);
  });
});

describe('transfer codings (RFC 9112 §6.1)', () => {
  it('answers a request body in a coding other than chunked with 501, not a silently decoded body', async () => {
    const { up, gw } = await setup();
    const answer = await exchange(
      gw.url,
      ['POST /api/a HTTP/1.1', 'Host: a.localhost', 'Transfer-Encoding: gzip, chunked', 'Connection: close'],
      '5\r\nhello\r\n0\r\n\r\n',
    );
    expect(answer.status).toBe(501);
    expect(answer.json?.code).toBe('GW_TRANSFER_CODING_UNSUPPORTED');
    expect(up.requests).toEqual([]);
  });
});

describe('methods and upgrades a reverse proxy answers itself', () => {
  it('answers CONNECT with a 501 problem instead of dropping the socket', async () => {
    const { up, gw } = await setup();
    const answer = await exchange(gw.url, ['CONNECT 127.0.0.1:443 HTTP/1.1', 'Host: 127.0.0.1:443']);
    expect(answer.status).toBe(501);
    expect(answer.json?.code).toBe('GW_CONNECT_NOT_SUPPORTED');
    expect(up.requests).toEqual([]);
  });

  it('refuses TRACE with 405 and an Allow header unless the route lists it', async () => {
    const { up, gw } = await setup();
    const refused = await exchange(gw.url, [
      'TRACE /api/a HTTP/1.1',
      'Host: a.localhost',
      'Connection: close',
    ]);
    expect(refused.status).toBe(405);
    expect(refused.json?.code).toBe('GW_METHOD_NOT_ALLOWED');
    const allow = /^allow: (.*)$/im.exec(refused.head)?.[1] ?? '';
    expect(allow.split(', ')).toEqual(expect.arrayContaining(['GET', 'POST']));
    expect(allow).not.toContain('TRACE');
    expect(up.requests).toEqual([]);

    const listed = await exchange(gw.url, [
      'TRACE /diagnostics HTTP/1.1',
      'Host: a.localhost',
      'Connection: close',
    ]);
    expect(listed.status).toBe(200);
    expect(up.requests.map((r) => r.method)).toEqual(['TRACE']);
  });

  it('answers a POST with a body that asks for a WebSocket upgrade with a 400 problem, not a dropped socket', async () => {
    const { up, gw } = await setup();
    const answer = await exchange(
      gw.url,
      [
        'POST /ws HTTP/1.1',
        'Host: a.localhost',
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Content-Length: 5',
      ],
      'hello',
    );
    expect(answer.status).toBe(400);
    expect(answer.json?.code).toBe('GW_BAD_REQUEST');
    expect(up.requests).toEqual([]);
  });

  it('still serves a plain WebSocket handshake on the same route', async () => {
    const { gw } = await setup();
    // The test upstream speaks no WebSocket: its plain answer proves the handshake was forwarded.
    const socket = new WebSocket(`${gw.url.replace('http', 'ws')}/ws`);
    const status = await new Promise<number>((resolve, reject) => {
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('error', reject);
    });
    socket.terminate();
    expect(status).toBe(200);
  });
});
