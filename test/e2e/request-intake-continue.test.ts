import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseRawAnswer, rawExchange } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';

/**
 * `Expect: 100-continue` (RFC 9110 §10.1.1): the client holds its body back until gw says 100.
 * gw says it only once the route's policies let the request through, so a refused upload is
 * never transferred.
 */
const { upstream, gateway } = useTestServers();

const fiftyMegabytes = 50 * 1024 * 1024;

/**
 * A client that waits for the interim answer as curl does (without curl's 1 s give-up): on
 * `100 Continue` it sends its body in 1 MB pieces, stopping when a final answer arrives.
 * Resolves with the bytes of body it sent and everything it received once the connection closes
 * (`keepAlive`: the client does not ask for that, so the server has to close it).
 */
function upload(
  base: string,
  path: string,
  size: number,
  options: { keepAlive?: boolean } = {},
): Promise<{ sent: number; received: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    let received = '';
    let sent = 0;
    let final = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 20 s; got ${JSON.stringify(received.slice(0, 200))}`));
    }, 20_000);
    const piece = Buffer.alloc(1024 * 1024, 'x');
    const sendMore = () => {
      while (!final && sent < size && !socket.destroyed) {
        const chunk = piece.subarray(0, Math.min(piece.length, size - sent));
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', sendMore);
      }
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const interim = /^HTTP\/1\.1 100 [^\r]*\r\n\r\n/.exec(received)?.[0] ?? '';
      if (received.length > interim.length && /\r\n\r\n/.test(received.slice(interim.length))) final = true;
      else if (interim && sent === 0) sendMore();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ sent, received });
    });
    socket.write(
      [
        `POST ${path} HTTP/1.1`,
        'Host: a.localhost',
        'Expect: 100-continue',
        `Content-Length: ${size}`,
        ...(options.keepAlive ? [] : ['Connection: close']),
      ].join('\r\n') + '\r\n\r\n',
    );
  });
}

async function setup() {
  const up = await upstream();
  const gw = await gateway({
    services: { s: { targets: [up.url] } },
    routes: [
      { path: '/private', service: 's', auth: 'apiKey' },
      { path: '/small', service: 's', bodyLimit: '1mb' },
      { path: '/limited', service: 's', rateLimit: { limit: 1, window: '1m' } },
      { path: '/open', service: 's' },
    ],
  });
  return { up, gw };
}

describe('Expect: 100-continue', () => {
  // The refused uploads do not ask to close: gw must close the connection itself rather than wait
  // for a body that was never invited (or read one as the next request).
  it('answers a 50 MB upload that auth refuses with 401 at once: no 100, no body transferred', async () => {
    const { up, gw } = await setup();
    const { sent, received } = await upload(gw.url, '/private/files', fiftyMegabytes, { keepAlive: true });
    expect(received).toMatch(/^HTTP\/1\.1 401 /);
    expect(sent).toBe(0);
    expect(up.requests).toEqual([]);
  });

  it('answers a declared length over bodyLimit with 413 before the body is sent', async () => {
    const { up, gw } = await setup();
    const { sent, received } = await upload(gw.url, '/small/files', fiftyMegabytes, { keepAlive: true });
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(sent).toBe(0);
    expect(up.requests).toEqual([]);
  });

  it('answers a rate-limited upload with 429 before the body is sent', async () => {
    const { up, gw } = await setup();
    expect((await upload(gw.url, '/limited/a', 5)).received).toMatch(
      /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /,
    );
    const { sent, received } = await upload(gw.url, '/limited/b', fiftyMegabytes, { keepAlive: true });
    expect(received).toMatch(/^HTTP\/1\.1 429 /);
    expect(sent).toBe(0);
    expect(up.requests).toHaveLength(1);
  });

  it('says 100 Continue once the route lets the request through, and forwards the body without Expect', async () => {
    const { up, gw } = await setup();
    const { sent, received } = await upload(gw.url, '/open/files', 3 * 1024 * 1024);
    expect(received).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    expect(sent).toBe(3 * 1024 * 1024);
    expect(up.requests).toHaveLength(1);
    expect(up.requests[0]!.body).toHaveLength(3 * 1024 * 1024);
    expect(up.requests[0]!.headers.expect).toBeUndefined();
  });

  it('answers an expectation it cannot meet with a 417 problem (RFC 9110 §10.1.1)', async () => {
    const { up, gw } = await setup();
    const answer = parseRawAnswer(
      await rawExchange(
        gw.url,
        'POST /open/a HTTP/1.1\r\nHost: a.localhost\r\nExpect: 200-ok\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
      ),
    );
    expect(answer.status).toBe(417);
    expect(answer.json?.code).toBe('GW_BAD_REQUEST');
    expect(up.requests).toEqual([]);
  });
});
