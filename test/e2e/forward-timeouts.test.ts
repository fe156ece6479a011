import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { startRawUpstream, type RawHandler } from '../helpers/raw-upstream.js';
import { useTestServers } from '../helpers/test-servers.js';
import { waitFor } from '../helpers/upstream.js';
import { request } from '../helpers/http.js';

// The three clocks of a forward (connectTimeout, timeout, idleTimeout), each tripping with its
// own code. The limits are short so the tests are quick; what they assert is which clock tripped.

const servers = useTestServers();

async function setup(handler: RawHandler, route: Record<string, unknown>, scheme = 'http') {
  const up = await startRawUpstream(handler);
  servers.cleanup.push(() => up.close());
  const gw = await servers.gateway({
    services: { s: { targets: [`${scheme}://127.0.0.1:${up.port}`] } },
    routes: [{ path: '/api', service: 's', ...route }],
  });
  return { up, gw };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `parts` of a body with `gapMs` between them; resolves with status and body (or the error). */
function upload(
  base: string,
  parts: string[],
  gapMs: number,
  headers: http.OutgoingHttpHeaders,
): Promise<{ status: number; body: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/api/upload`, { method: 'POST', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
    });
    req.on('error', reject);
    void (async () => {
      for (const part of parts) {
        req.write(part);
        await sleep(gapMs);
      }
    })();
  });
}

const answerAfterBody: RawHandler = (request, socket) => {
  const body = `got ${request.body}`;
  socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
};

describe('connectTimeout', () => {
  it('a target that never completes the TLS handshake → 504 GW_UPSTREAM_CONNECT_TIMEOUT', async () => {
    // The raw server accepts the TCP connection and never says a word: TLS cannot finish.
    const { gw } = await setup(() => undefined, { connectTimeout: '200ms', timeout: '30s' }, 'https');
    const res = await request(gw.url, '/api/x');
    expect(res.status).toBe(504);
    expect(res.json?.code).toBe('GW_UPSTREAM_CONNECT_TIMEOUT');
  });

  it('a service connectTimeout applies when the route sets none', async () => {
    const up = await startRawUpstream(() => undefined);
    servers.cleanup.push(() => up.close());
    const gw = await servers.gateway({
      services: { s: { targets: [`https://127.0.0.1:${up.port}`], connectTimeout: '200ms' } },
      routes: [{ path: '/api', service: 's' }],
    });
    const res = await request(gw.url, '/api/x');
    expect(res.json?.code).toBe('GW_UPSTREAM_CONNECT_TIMEOUT');
  });
});

describe('timeout counts from the end of the request', () => {
  it('a slow upload that takes longer than `timeout` still gets its answer', async () => {
    const { up, gw } = await setup(answerAfterBody, { timeout: '300ms', idleTimeout: '5s' });
    const res = await upload(gw.url, ['a', 'b', 'c', 'd', 'e'], 150, { 'content-length': 5 });
    expect(res.status).toBe(200);
    expect(res.body).toBe('got abcde');
    expect(up.requests[0]!.body).toBe('abcde');
  });

  it('an upstream that never answers after the body → 504 GW_UPSTREAM_TIMEOUT', async () => {
    const { gw } = await setup(() => undefined, { timeout: '200ms' });
    const res = await request(gw.url, '/api/x', { method: 'POST', body: 'hi' });
    expect(res.status).toBe(504);
    expect(res.json?.code).toBe('GW_UPSTREAM_TIMEOUT');
  });
});

describe('idleTimeout', () => {
  it('a client that stops sending its body → 408 GW_REQUEST_BODY_TIMEOUT, connection closed', async () => {
    const { up, gw } = await setup(answerAfterBody, { idleTimeout: '200ms', timeout: '30s' });
    const res = await upload(gw.url, ['abc'], 10_000, { 'content-length': 10 });
    expect(res.status).toBe(408);
    expect(JSON.parse(res.body).code).toBe('GW_REQUEST_BODY_TIMEOUT');
    expect(res.connection).toBe('close');
    // The upstream request is cut with it.
    await waitFor(() => up.closed === 1);
    expect(up.requests).toHaveLength(0);
  });

  it('an event stream that keeps sending longer than idleTimeout is never cut', async () => {
    const { gw } = await setup(
      (_request, socket) => {
        socket.write(
          'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n',
        );
        let sent = 0;
        const tick = setInterval(() => {
          const event = `data: ${++sent}\n\n`;
          socket.write(`${event.length.toString(16)}\r\n${event}\r\n`);
          if (sent === 8) {
            clearInterval(tick);
            socket.write('0\r\n\r\n');
          }
        }, 80);
        socket.on('close', () => clearInterval(tick));
      },
      { idleTimeout: '250ms' },
    );
    const res = await request(gw.url, '/api/events');
    expect(res.status).toBe(200);
    expect(res.body.match(/^data: \d+$/gm)).toHaveLength(8);
  });

  it('an upstream that stalls mid-body: the client response is cut and the upstream request closed', async () => {
    const { up, gw } = await setup(
      (_request, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial'),
      { idleTimeout: '200ms' },
    );
    const outcome = await new Promise<string>((resolve) => {
      http
        .get(`${gw.url}/api/stall`, { agent: false }, (res) => {
          res.on('data', () => undefined);
          res.on('aborted', () => resolve('aborted'));
          res.on('error', () => resolve('aborted'));
          res.on('end', () => resolve('ended'));
        })
        .on('error', () => resolve('aborted'));
    });
    expect(outcome).toBe('aborted');
    await waitFor(() => up.closed === 1);
    await waitFor(() => gw.seen.some((event) => event.type === 'request-finished'));
    const finished = gw.seen.find((event) => event.type === 'request-finished');
    expect(finished?.type === 'request-finished' && finished.outcome.reason).toMatch(
      /sent nothing for 200 ms/,
    );
  });

  it('a buffered answer (cache) that stalls → 504 GW_UPSTREAM_IDLE_TIMEOUT', async () => {
    const { gw } = await setup(
      (_request, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial'),
      { idleTimeout: '200ms', cache: { ttl: '30s' } },
    );
    const res = await request(gw.url, '/api/cached');
    expect(res.status).toBe(504);
    expect(res.json?.code).toBe('GW_UPSTREAM_IDLE_TIMEOUT');
  });
});
