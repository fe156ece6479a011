import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { header, startRawUpstream, type RawHandler } from '../helpers/raw-upstream.js';
import { useTestServers } from '../helpers/test-servers.js';
import { parseRawAnswer, rawExchange } from '../helpers/http.js';

// What the upstream receives and what the client gets, byte for byte, where Node's own server
// would normalise the difference away: body framing of bodyless requests, 1xx answers, 101s.

const servers = useTestServers();

const ok: RawHandler = (_request, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');

async function setup(handler: RawHandler, route: Record<string, unknown> = {}) {
  const up = await startRawUpstream(handler);
  servers.cleanup.push(() => up.close());
  const gw = await servers.gateway({
    services: { s: { targets: [up.url] } },
    routes: [{ path: '/api', service: 's', ...route }],
  });
  return { up, gw };
}

describe('a request without a body', () => {
  it.each([
    ['POST', '', '0'],
    ['PUT', 'Content-Length: 0\r\n', '0'],
    ['PATCH', 'Content-Length: 0\r\n', '0'],
    ['POST', 'Content-Length: 0\r\n', '0'],
    ['PATCH', '', '0'],
    ['GET', '', undefined],
    ['DELETE', '', undefined],
  ])('%s with %j reaches the upstream unchunked (Content-Length: %s)', async (method, extra, length) => {
    const { up, gw } = await setup(ok);
    const answer = await rawExchange(
      gw.url,
      `${method} /api/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${extra}\r\n`,
    );
    expect(parseRawAnswer(answer).status).toBe(200);
    const received = up.requests[0]!;
    expect(header(received, 'transfer-encoding')).toBeUndefined();
    expect(header(received, 'content-length')).toBe(length);
    expect(received.rawBody).toBe('');
    expect(up.requests).toHaveLength(1);
  });
});

describe('1xx answers from the upstream', () => {
  it('relays 103 Early Hints with its Link headers and 102 Processing before the final answer', async () => {
    const { gw } = await setup((_request, socket) => {
      socket.write('HTTP/1.1 102 Processing\r\n\r\n');
      socket.write('HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n');
      socket.write('Link: </app.js>; rel=preload; as=script\r\n\r\n');
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone');
    });
    const answer = await rawExchange(
      gw.url,
      'GET /api/page HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
    const parts = answer.split(/\r\n\r\n/);
    expect(parts[0]).toBe('HTTP/1.1 102 Processing');
    expect(parts[1]).toMatch(/^HTTP\/1\.1 103 Early Hints\r\n/);
    expect(parts[1]).toContain('\r\nLink: </style.css>; rel=preload; as=style\r\n');
    expect(parts[1]).toMatch(/\r\nLink: <\/app.js>; rel=preload; as=script$/);
    expect(parts[2]).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(parts[3]).toBe('done');
  });

  it('relays a 100 Continue the upstream sends', async () => {
    const { gw } = await setup((_request, socket) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    const answer = await rawExchange(
      gw.url,
      'GET /api/c HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  });

  it('sends no 1xx to an HTTP/1.0 client (RFC 9110 §15.2)', async () => {
    const { gw } = await setup((_request, socket) => {
      socket.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n');
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    const answer = await rawExchange(gw.url, 'GET /api/old HTTP/1.0\r\nHost: localhost\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });

  it.each([
    ['without Upgrade', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
    ['with Upgrade', 'HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n'],
  ])('answers a 101 %s to a plain request with 502 problem+json, not the 101', async (_name, bytes) => {
    const { gw } = await setup((_request, socket) => socket.write(bytes));
    const answer = parseRawAnswer(
      await rawExchange(gw.url, 'GET /api/ws HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', 3000),
    );
    expect(answer.status).toBe(502);
    expect(answer.json?.code).toBe('GW_UPSTREAM_BAD_RESPONSE');
  });
});

// Keeps the import of node:http honest for readers: the 1xx above are what a Node client sees too.
describe('a Node client through gw', () => {
  it("sees the upstream's 103 as an 'information' event", async () => {
    const { gw } = await setup((_request, socket) => {
      socket.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n');
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    const infos: number[] = [];
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.get(`${gw.url}/api/n`, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('information', (info) => infos.push(info.statusCode));
      req.on('error', reject);
    });
    expect(status).toBe(200);
    expect(infos).toEqual([103]);
  });
});
