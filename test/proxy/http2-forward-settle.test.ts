import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createHttp2Forward } from '../../src/proxy/http2-forward.js';
import { createHttp2Sessions } from '../../src/proxy/http2-sessions.js';
import { useTestServers } from '../helpers/test-servers.js';
import { front } from './forward-front.js';

// What the HTTP/2 forward settles with when its answer stalls, seen through the forward itself
// (the gateway's own tests see the client's side).

const servers = useTestServers();

describe('forwardHttp2', () => {
  it('an answer that stalls mid-body past idleTimeout cuts the client response, says why and settles', async () => {
    const upstream = http2.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('half');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    servers.cleanup.push(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
    upstream.on('session', (session) => servers.cleanup.push(() => session.destroy()));
    const sessions = createHttp2Sessions();
    servers.cleanup.push(() => sessions.close());
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const gw = await front(
      servers,
      createHttp2Forward(sessions),
      url,
      { timeouts: { connectMs: 1000, idleMs: 150 } },
      5_000,
      'http2',
    );
    const cut = await new Promise<boolean>((resolve) => {
      http
        .get(`${gw.url}/api/s`, (res) => {
          res.on('data', () => undefined);
          res.on('aborted', () => resolve(true));
          res.on('end', () => resolve(false));
        })
        .on('error', () => resolve(true));
    });
    expect(cut).toBe(true);
    await expect.poll(() => gw.settled.length).toBe(1);
    expect(gw.settled[0]!.response).toBeUndefined();
    expect(gw.settled[0]!.ctx.outcome).toMatchObject({ reason: expect.stringMatching(/150 ms/) });
  });
});
