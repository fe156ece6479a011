import http from 'node:http';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { answerHeadEdits, onAnswerHead, replaceUpstreamBody, sentHeaders } from '../../src/pipeline/hooks.js';
import type { GatewayContext } from '../../src/pipeline/types.js';
import type { ForwardMode } from '../../src/proxy/forwarder.js';
import { forwardHttp } from '../../src/proxy/http-forward.js';
import { carriedByUndici, forwardWithUndici } from '../../src/proxy/undici-forward.js';
import type { Target, UpstreamPool } from '../../src/proxy/upstream-types.js';
import { header, type RawHandler } from '../helpers/raw-upstream.js';
import { useTestServers } from '../helpers/test-servers.js';
import { parseRawAnswer, rawExchange, request } from '../helpers/http.js';
import {
  answer,
  front as frontOf,
  itFailsLikeEveryForward,
  rawTarget as rawTargetOf,
} from './forward-front.js';

// The undici forward on its own (its fallback is Node's client, as in forwarder.ts), and the rule
// that picks it. What the client and the upstream saw is asserted byte for byte where it matters.

const servers = useTestServers();
/** Which client carried each forward of the front below. */
let carriers: string[] = [];
const forward = (ctx: GatewayContext, pool: UpstreamPool, target: Target, mode: ForwardMode | undefined) => {
  carriers.push('undici');
  return forwardWithUndici(ctx, pool, target, mode, (...args) => {
    carriers.push('node');
    return forwardHttp(...args);
  });
};
const front = (url: string, mode?: ForwardMode, timeoutMs?: number) => {
  carriers = [];
  return frontOf(servers, forward, url, mode, timeoutMs);
};
const rawTarget = (handler: RawHandler) => rawTargetOf(servers, handler);

describe('carriedByUndici', () => {
  const target = (url: string) => ({ url: new URL(url) }) as Target;
  const ctx = (method: string, headers: http.IncomingHttpHeaders = {}) =>
    ({ method, upstreamHeaders: headers }) as GatewayContext;

  it('takes idempotent requests without a body to plain-HTTP targets', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'DELETE'])
      expect(carriedByUndici(ctx(method), target('http://127.0.0.1:1'), undefined)).toBe(true);
  });

  it('leaves bodies, other methods, https targets, buffered, edited and retried answers to Node', () => {
    const plain = target('http://127.0.0.1:1');
    expect(carriedByUndici(ctx('POST'), plain, undefined)).toBe(false);
    expect(carriedByUndici(ctx('GET', { 'content-length': '3' }), plain, undefined)).toBe(false);
    expect(carriedByUndici(ctx('DELETE', { 'transfer-encoding': 'chunked' }), plain, undefined)).toBe(false);
    expect(carriedByUndici(ctx('GET'), target('https://127.0.0.1:1'), undefined)).toBe(false);
    expect(carriedByUndici(ctx('GET'), plain, { buffer: { maxBytes: 1 } })).toBe(false);
    expect(carriedByUndici(ctx('GET'), plain, { retryStatuses: new Set([503]) })).toBe(false);
    const edited = ctx('GET');
    onAnswerHead(edited, () => undefined);
    expect(answerHeadEdits(edited)).toHaveLength(1);
    expect(carriedByUndici(edited, plain, undefined)).toBe(false);
    const replaced = ctx('GET');
    replaceUpstreamBody(replaced, Buffer.from('x'));
    expect(carriedByUndici(replaced, plain, undefined)).toBe(false);
  });
});

describe('forwardWithUndici', () => {
  itFailsLikeEveryForward(servers, forward);

  it('streams the answer with the gateway headers, and sends the client headers as they came', async () => {
    const up = await rawTarget(answer(200, 'hello', 'X-From: up\r\nConnection: x-hop\r\nX-Hop: 1\r\n'));
    const gw = await front(up.url);
    const res = await request(gw.url, '/api/a?q=1', { headers: { 'x-client': 'c', cookie: 'a=1' } });
    expect(res.status).toBe(200);
    expect(res.body).toBe('hello');
    expect(res.headers['x-from']).toBe('up');
    expect(res.headers['x-hop']).toBeUndefined();
    expect(res.headers['x-request-id']).toBe('r1');
    expect(gw.settled[0]!.response).toBeUndefined();
    expect(sentHeaders(gw.settled[0]!.ctx)).toContain('X-From');
    const received = up.requests[0]!;
    expect(received.target).toBe('/api/a?q=1');
    expect(header(received, 'x-client')).toBe('c');
    expect(header(received, 'host')).toBe(new URL(gw.url).host);
    expect(header(received, 'content-length')).toBeUndefined();
    expect(header(received, 'transfer-encoding')).toBeUndefined();
    expect(carriers).toEqual(['undici']);
  });

  it('keeps the upstream connection alive between requests', async () => {
    const up = await rawTarget(answer(200, 'ok'));
    const gw = await front(up.url);
    for (let i = 0; i < 3; i++) expect((await request(gw.url, '/api/k')).body).toBe('ok');
    expect(up.requests).toHaveLength(3);
    expect(up.connections).toBe(1);
  });

  it('relays 102 and 103 with their headers before the final answer', async () => {
    const up = await rawTarget((_request, socket) => {
      socket.write('HTTP/1.1 102 Processing\r\n\r\n');
      socket.write(
        'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nLink: </b.js>; rel=preload\r\n\r\n',
      );
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone');
    });
    const gw = await front(up.url);
    const parts = (
      await rawExchange(gw.url, 'GET /api/p HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
    ).split('\r\n\r\n');
    expect(parts[0]).toBe('HTTP/1.1 102 Processing');
    expect(parts[1]).toBe(
      'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nLink: </b.js>; rel=preload',
    );
    expect(parts[2]).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(parts[3]).toBe('done');
  });

  it('an unrequested 100 Continue: sent again on Node, which relays it; the target then stays on Node', async () => {
    const up = await rawTarget((_request, socket) =>
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
    );
    const gw = await front(up.url);
    const first = await rawExchange(
      gw.url,
      'GET /api/c HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
    expect(first).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    expect(first.endsWith('\r\n\r\nok')).toBe(true);
    expect(carriers).toEqual(['undici', 'node']);
    expect(up.requests).toHaveLength(2);
    expect(carriedByUndici(gw.settled[0]!.ctx, gw.pool.targets[0]!, undefined)).toBe(false);
  });

  it('relays the answer trailers of a chunked answer', async () => {
    const up = await rawTarget((_request, socket) =>
      socket.write(
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-checksum\r\n\r\n2\r\nok\r\n0\r\nx-checksum: abc\r\n\r\n',
      ),
    );
    const gw = await front(up.url);
    const res = await new Promise<http.IncomingMessage>((resolve) => http.get(`${gw.url}/api/t`, resolve));
    res.resume();
    await once(res, 'end');
    expect(res.headers.trailer).toBe('x-checksum');
    expect(res.trailers['x-checksum']).toBe('abc');
  });

  it('a 204 that declares a body ends at its head, and the next request gets a clean connection', async () => {
    let n = 0;
    const up = await rawTarget((_request, socket) => {
      if (n++ === 0) socket.write('HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nstray');
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext');
    });
    const gw = await front(up.url);
    const first = await request(gw.url, '/api/n');
    expect(first.status).toBe(204);
    expect(first.headers['content-length']).toBeUndefined();
    expect(first.body).toBe('');
    const second = await request(gw.url, '/api/n');
    expect(second.status).toBe(200);
    expect(second.body).toBe('next');
  });

  it('a 101 to a plain request is a malformed answer (502), with or without Upgrade', async () => {
    for (const bytes of [
      'HTTP/1.1 101 Switching Protocols\r\n\r\n',
      'HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n',
    ]) {
      const up = await rawTarget((_request, socket) => socket.write(bytes));
      const gw = await front(up.url);
      const raw = await rawExchange(
        gw.url,
        'GET /api/u HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
        3000,
      );
      expect(parseRawAnswer(raw).status).toBe(599);
      expect(raw).toContain('\r\nGW_UPSTREAM_BAD_RESPONSE\r\n');
    }
  });

  it('a closed connection before the head rejects GW_UPSTREAM_RESET', async () => {
    const up = await rawTarget((_request, socket) => socket.destroy());
    const gw = await front(up.url);
    expect((await request(gw.url, '/api/r')).body).toBe('GW_UPSTREAM_RESET');
  });

  it('an answer that stalls mid-body past idleTimeout cuts the client response and says why', async () => {
    const up = await rawTarget((_request, socket) =>
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf'),
    );
    const gw = await front(up.url, { timeouts: { connectMs: 1000, idleMs: 150 } });
    await expect(request(gw.url, '/api/i')).rejects.toThrow();
    await expect.poll(() => gw.settled.length).toBe(1);
    expect(gw.settled[0]!.ctx.outcome).toMatchObject({ reason: expect.stringMatching(/150 ms/) });
    await expect.poll(() => up.closed).toBe(1);
  });

  it('an upstream that dies mid-body cuts the client response', async () => {
    const up = await rawTarget((_request, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf');
      setTimeout(() => socket.destroy(), 20);
    });
    const gw = await front(up.url);
    await expect(request(gw.url, '/api/d')).rejects.toThrow();
  });

  it('a client that goes away mid-answer closes the upstream request', async () => {
    const up = await rawTarget((_request, socket) =>
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nmore\r\n'),
    );
    const gw = await front(up.url);
    await new Promise<void>((resolve) => {
      const req = http.get(`${gw.url}/api/a`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
    });
    await expect.poll(() => up.closed).toBe(1);
    await expect.poll(() => gw.pool.targets[0]!.inFlight).toBe(0);
  });

  it('a large answer streams whole to a slow reader (backpressure pauses the upstream)', async () => {
    const size = 8 * 1024 * 1024;
    const up = await rawTarget((_request, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
      socket.write(Buffer.alloc(size, 120));
    });
    const gw = await front(up.url);
    const received = await new Promise<number>((resolve) => {
      http.get(`${gw.url}/api/big`, (res) => {
        let bytes = 0;
        // Nothing is read for a while: gw's buffers fill and it must pause the upstream.
        res.pause();
        setTimeout(() => {
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          res.on('end', () => resolve(bytes));
          res.resume();
        }, 200);
      });
    });
    expect(received).toBe(size);
  });
});
