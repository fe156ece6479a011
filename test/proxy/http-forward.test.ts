import { describe, expect, it } from 'vitest';
import { sentHeaders } from '../../src/pipeline/hooks.js';
import { isRetryable, type ForwardMode } from '../../src/proxy/forwarder.js';
import { forwardHttp } from '../../src/proxy/http-forward.js';
import type { RawHandler } from '../helpers/raw-upstream.js';
import { useTestServers } from '../helpers/test-servers.js';
import { request } from '../helpers/http.js';
import {
  answer,
  front as frontOf,
  itFailsLikeEveryForward,
  rawTarget as rawTargetOf,
} from './forward-front.js';

const servers = useTestServers();
const front = (url: string, mode: ForwardMode | undefined, timeoutMs?: number) =>
  frontOf(servers, forwardHttp, url, mode, timeoutMs);
const rawTarget = (handler: RawHandler) => rawTargetOf(servers, handler);

describe('forwardHttp', () => {
  itFailsLikeEveryForward(servers, forwardHttp);

  it('streams the answer and resolves with nothing once the client response is done', async () => {
    const up = await rawTarget(answer(200, 'hello', 'X-From: up\r\n'));
    const gw = await front(up.url, undefined);
    const res = await request(gw.url, '/api/a');
    expect(res.body).toBe('hello');
    expect(res.headers['x-from']).toBe('up');
    expect(res.headers['x-request-id']).toBe('r1');
    expect(gw.settled[0]!.response).toBeUndefined();
    expect(sentHeaders(gw.settled[0]!.ctx)).toContain('X-From');
    expect(gw.settled[0]!.ctx.target).toBe(up.url);
  });

  it('buffers when asked: resolves with status, headers and body, and writes nothing itself', async () => {
    const up = await rawTarget(answer(201, 'abc', 'Location: /x\r\n'));
    const gw = await front(up.url, { buffer: { maxBytes: 10 } });
    const res = await request(gw.url, '/api/b');
    expect(res.body).toBe('buffered 201 3');
    expect(gw.settled[0]!.response?.headers.location).toBe('/x');
  });

  it('buffers only answers that pass `when`; the others stream', async () => {
    const up = await rawTarget(answer(200, 'plain', 'Content-Type: text/plain\r\n'));
    const gw = await front(up.url, {
      buffer: { maxBytes: 10, when: (_status, headers) => headers['content-type'] === 'application/json' },
    });
    expect((await request(gw.url, '/api/c')).body).toBe('plain');
  });

  it('an answer over maxBytes fails with GW_UPSTREAM_BAD_RESPONSE, or streams with streamOverflow', async () => {
    const up = await rawTarget(answer(200, 'x'.repeat(50)));
    const failing = await front(up.url, { buffer: { maxBytes: 10 } });
    expect((await request(failing.url, '/api/d')).body).toBe('GW_UPSTREAM_BAD_RESPONSE');
    const streaming = await front(up.url, { buffer: { maxBytes: 10, streamOverflow: true } });
    expect((await request(streaming.url, '/api/d')).body).toBe('x'.repeat(50));
  });

  it('a retryable status rejects with a retryable error and reports the head first', async () => {
    const heads: number[] = [];
    const up = await rawTarget(answer(503, 'busy'));
    const gw = await front(up.url, { retryStatuses: new Set([503]), onHead: (status) => heads.push(status) });
    expect((await request(gw.url, '/api/e')).body).toBe('GW_UPSTREAM_FAILED');
    expect(isRetryable(gw.settled[0]!.error)).toBe(true);
    expect(heads).toEqual([503]);
  });

  it('a connect timeout (TLS never completes) rejects retryable GW_UPSTREAM_CONNECT_TIMEOUT', async () => {
    const up = await rawTarget(() => undefined);
    const gw = await front(`https://127.0.0.1:${up.port}`, { timeouts: { connectMs: 100, idleMs: 60_000 } });
    expect((await request(gw.url, '/api/h')).body).toBe('GW_UPSTREAM_CONNECT_TIMEOUT');
    expect(isRetryable(gw.settled[0]!.error)).toBe(true);
  });
});
