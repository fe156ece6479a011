import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { request } from '../helpers/http.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setup(): Promise<{ up: TestUpstream; gw: TestGateway }> {
  const up = await startUpstream();
  cleanup.push(() => up.close());
  const gw = await startTestGateway({
    services: { files: { targets: [up.url] } },
    routes: [{ path: '/api/upload', service: 'files', bodyLimit: '1kb' }],
  });
  cleanup.push(() => gw.close());
  return { up, gw };
}

interface Partial413 {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  /** Bytes the client had written when the answer came. */
  written: number;
}

/**
 * Starts an upload and keeps writing 512-byte pieces until the gateway answers (or `total` bytes
 * went out): shows whether the answer came before the whole body was sent.
 */
function upload(base: string, options: { declared?: number; total: number }): Promise<Partial413> {
  const url = new URL(base);
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/octet-stream' };
  if (options.declared !== undefined) headers['content-length'] = options.declared;
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const req = http.request(
      { host: url.hostname, port: url.port, path: '/api/upload', method: 'POST', headers, agent: false },
      (res) => {
        answered = true;
        const at = written;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers, written: at });
          req.destroy();
        });
      },
    );
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const piece = Buffer.alloc(512, 'a');
    const pump = () => {
      if (answered || req.destroyed) return;
      if (written >= options.total) {
        req.end();
        return;
      }
      req.write(piece);
      written += piece.length;
      setTimeout(pump, 5);
    };
    pump();
  });
}

describe('bodyLimit', () => {
  it('refuses a declared Content-Length over the limit with 413 before the body is sent', async () => {
    const { up, gw } = await setup();
    const res = await upload(gw.url, { declared: 10 * 1024 * 1024, total: 10 * 1024 * 1024 });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'GW_BODY_TOO_LARGE', limit: 1024 });
    expect(res.headers.connection).toBe('close');
    expect(res.written).toBeLessThan(64 * 1024);
    expect(up.requests).toHaveLength(0);
  });

  it('counts a chunked body while it streams and answers 413 once it passes the limit', async () => {
    const { up, gw } = await setup();
    const res = await upload(gw.url, { total: 10 * 1024 * 1024 });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'GW_BODY_TOO_LARGE' });
    expect(res.written).toBeLessThan(64 * 1024);
    // The upstream never got a whole request.
    expect(up.requests).toHaveLength(0);
    const finished = gw.seen.find((e) => e.type === 'request-finished');
    expect(finished).toMatchObject({ status: 413, outcome: { answeredBy: 'bodyLimit' } });
  });

  it('forwards bodies within the limit, declared or chunked', async () => {
    const { up, gw } = await setup();
    const declared = await request(gw.url, '/api/upload', { method: 'POST', body: 'x'.repeat(1024) });
    expect(declared.status).toBe(200);
    const chunked = await upload(gw.url, { total: 1024 });
    expect(chunked.status).toBe(200);
    expect(up.requests.map((r) => r.body.length)).toEqual([1024, 1024]);
    expect(up.requests[1]!.headers['transfer-encoding']).toBe('chunked');
  });
});
