import http from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { request } from '../helpers/http.js';

/**
 * Services with `protocol: 'http2'` behind a real gateway: a real node:http2 h2c server on
 * 127.0.0.1, HTTP/1.1 clients in front. What the upstream received and what the client got.
 */

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

interface SeenStream {
  headers: http2.IncomingHttpHeaders;
  body: string;
  trailers?: http2.IncomingHttpHeaders;
  /** The RST_STREAM code it closed with, once closed. */
  closedWith?: number;
}

type H2Handler = (stream: http2.ServerHttp2Stream, seen: SeenStream) => void;

interface H2Upstream {
  port: number;
  url: string;
  streams: SeenStream[];
  /** Sessions (connections) the server accepted. */
  sessions: number;
  close(): Promise<void>;
}

const echo: H2Handler = (stream, seen) => {
  stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-upstream': 'h2' });
  stream.end(JSON.stringify({ path: seen.headers[':path'], body: seen.body }));
};

/** A cleartext HTTP/2 server (prior knowledge) that records each stream, then runs `handler`. */
async function startH2Upstream(handler: H2Handler = echo, port = 0): Promise<H2Upstream> {
  const server = http2.createServer();
  const upstream: H2Upstream = {
    port: 0,
    url: '',
    streams: [],
    sessions: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        // A session the gateway closed may leave its socket to the server's own timeout.
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('session', (session: http2.ServerHttp2Session) => {
    upstream.sessions++;
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    const seen: SeenStream = { headers, body: '' };
    upstream.streams.push(seen);
    stream.on('error', () => undefined);
    stream.once('close', () => (seen.closedWith = stream.rstCode));
    stream.once('trailers', (trailers: http2.IncomingHttpHeaders) => (seen.trailers = trailers));
    stream.on('data', (chunk: Buffer) => (seen.body += chunk.toString('utf8')));
    // Handlers that answer before the body ends (streaming) run at once; the rest after it.
    if (headers[':method'] === 'GET') handler(stream, seen);
    else stream.once('end', () => handler(stream, seen));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  upstream.port = (server.address() as AddressInfo).port;
  upstream.url = `http://127.0.0.1:${upstream.port}`;
  return upstream;
}

async function gatewayFor(targetUrl: string, service: Record<string, unknown> = {}): Promise<TestGateway> {
  const gw = await startTestGateway({
    services: { h2: { targets: [targetUrl], protocol: 'http2', ...service } },
    routes: [{ path: '/api', service: 'h2' }],
  });
  cleanup.push(() => gw.close());
  return gw;
}

async function setup(handler?: H2Handler) {
  const up = await startH2Upstream(handler);
  cleanup.push(() => up.close());
  const gw = await gatewayFor(up.url);
  return { up, gw };
}

describe('HTTP/2 upstreams (protocol: http2, h2c with prior knowledge)', () => {
  it('forwards a GET: Host becomes :authority, the path and query go as sent, hop-by-hop headers stay behind', async () => {
    const { up, gw } = await setup();
    const res = await request(gw.url, '/api/items?page=2', {
      headers: { host: 'app.localhost', connection: 'keep-alive, x-hop', 'x-hop': '1', 'x-kept': 'yes' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-upstream']).toBe('h2');
    expect(res.json).toEqual({ path: '/api/items?page=2', body: '' });
    const seen = up.streams[0]!.headers;
    expect(seen[':authority']).toBe('app.localhost');
    expect(seen[':method']).toBe('GET');
    expect(seen['x-kept']).toBe('yes');
    expect(seen['x-hop']).toBeUndefined();
    expect(seen.host).toBeUndefined();
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('streams a chunked POST body up and the answer down', async () => {
    const { up, gw } = await setup();
    const target = new URL(gw.url);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: target.hostname, port: target.port, path: '/api/upload', method: 'POST', agent: false },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write('first,');
      // The second part goes only once the upstream holds the first: the body really streams.
      void waitFor(() => up.streams[0]?.body === 'first,').then(() => req.end('second'));
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ path: '/api/upload', body: 'first,second' });
    expect(up.streams[0]!.headers[':method']).toBe('POST');
  });

  it("relays the upstream's trailers to an HTTP/1.1 client as chunked trailers", async () => {
    const { gw } = await setup((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'done' }));
      stream.end('payload');
    });
    const target = new URL(gw.url);
    const got = await new Promise<{ body: string; trailers: NodeJS.Dict<string> }>((resolve, reject) => {
      http
        .get({ host: target.hostname, port: target.port, path: '/api/call', agent: false }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
          res.on('end', () => resolve({ body, trailers: res.trailers }));
        })
        .on('error', reject);
    });
    expect(got.body).toBe('payload');
    expect(got.trailers).toEqual({ 'grpc-status': '0', 'grpc-message': 'done' });
  });

  it('a slow reader gets every byte of a large answer, then its trailers', async () => {
    const size = 1 << 20;
    const { gw } = await setup((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.alloc(size, 120));
    });
    const target = new URL(gw.url);
    const got = await new Promise<{ bytes: number; trailers: NodeJS.Dict<string> }>((resolve, reject) => {
      http
        .get({ host: target.hostname, port: target.port, path: '/api/stream', agent: false }, (res) => {
          let bytes = 0;
          // Pauses after every chunk: the gateway holds the upstream back meanwhile.
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            res.pause();
            setTimeout(() => res.resume(), 1);
          });
          res.on('end', () => resolve({ bytes, trailers: res.trailers }));
        })
        .on('error', reject);
    });
    expect(got.bytes).toBe(size);
    expect(got.trailers).toEqual({ 'grpc-status': '0' });
  });

  it.each([
    ['as it came', undefined],
    ["through bodyLimit's byte counter", '1mb'],
  ])("forwards the client's request trailers after its chunked body (%s)", async (_how, bodyLimit) => {
    const up = await startH2Upstream();
    cleanup.push(() => up.close());
    const gw = await startTestGateway({
      services: { h2: { targets: [up.url], protocol: 'http2' } },
      routes: [{ path: '/api', service: 'h2', ...(bodyLimit ? { bodyLimit } : {}) }],
    });
    cleanup.push(() => gw.close());
    const target = new URL(gw.url);
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        { host: target.hostname, port: target.port, path: '/api/sum', method: 'POST', agent: false },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.setHeader('trailer', 'x-checksum');
      req.write('abc');
      req.addTrailers({ 'x-checksum': '900150983cd24fb0' });
      req.end();
    });
    expect(up.streams[0]!.body).toBe('abc');
    expect(up.streams[0]!.trailers).toMatchObject({ 'x-checksum': '900150983cd24fb0' });
  });

  it('passes 103 Early Hints on to the client before the answer', async () => {
    const { gw } = await setup((stream) => {
      stream.additionalHeaders({ ':status': 103, link: '</style.css>; rel=preload; as=style' });
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    const target = new URL(gw.url);
    const hints: http.InformationEvent[] = [];
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.get(
        { host: target.hostname, port: target.port, path: '/api/page', agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('information', (info) => hints.push(info));
      req.on('error', reject);
    });
    expect(status).toBe(200);
    expect(hints.map((h) => [h.statusCode, h.headers.link])).toEqual([
      [103, '</style.css>; rel=preload; as=style'],
    ]);
  });

  it('buffers an answer for a policy that needs it whole (cache): the second request never reaches the upstream', async () => {
    const up = await startH2Upstream();
    cleanup.push(() => up.close());
    const gw = await startTestGateway({
      services: { h2: { targets: [up.url], protocol: 'http2' } },
      routes: [{ path: '/api', service: 'h2', cache: { ttl: '30s' } }],
    });
    cleanup.push(() => gw.close());
    const first = await request(gw.url, '/api/catalog');
    const second = await request(gw.url, '/api/catalog');
    expect([first.headers['x-cache'], second.headers['x-cache']]).toEqual(['MISS', 'HIT']);
    expect(second.json).toEqual({ path: '/api/catalog', body: '' });
    expect(second.headers['x-upstream']).toBe('h2');
    expect(up.streams).toHaveLength(1);
  });

  it('a 503 from one target is retried on the other, and the client sees only the 200', async () => {
    // The 503's body never ends: the gateway cancels that stream while the retry is running.
    const busy = await startH2Upstream((stream) => {
      stream.respond({ ':status': 503 });
      stream.write('busy');
    });
    // Answers only once the cancelled stream is closed, so the retry outlives it.
    const fine = await startH2Upstream((stream, seen) => {
      void waitFor(() => busy.streams.every((s) => s.closedWith !== undefined)).then(() =>
        echo(stream, seen),
      );
    });
    cleanup.push(
      () => busy.close(),
      () => fine.close(),
    );
    const gw = await startTestGateway({
      services: {
        h2: {
          targets: [busy.url, fine.url],
          protocol: 'http2',
          retries: { attempts: 1, backoff: 0 },
          passiveHealth: { failures: 1000, cooldown: 1000 },
        },
      },
      routes: [{ path: '/api', service: 'h2' }],
    });
    cleanup.push(() => gw.close());
    for (let i = 0; i < 4; i++) {
      const res = await request(gw.url, `/api/r${i}`);
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ path: `/api/r${i}`, body: '' });
    }
    expect(busy.streams.length).toBeGreaterThan(0);
  });

  it('a client that goes away resets the upstream stream (nothing left open)', async () => {
    const { up, gw } = await setup((stream) => {
      stream.respond({ ':status': 200 });
      // An endless answer: only the client's going away can end it.
      stream.write('first chunk');
    });
    const target = new URL(gw.url);
    await new Promise<void>((resolve, reject) => {
      const req = http.get(
        { host: target.hostname, port: target.port, path: '/api/feed', agent: false },
        (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', () => undefined);
      req.on('close', resolve);
      setTimeout(() => reject(new Error('no first chunk')), 10_000).unref();
    });
    await waitFor(() => up.streams[0]?.closedWith !== undefined);
    expect(up.streams[0]!.closedWith).toBe(http2.constants.NGHTTP2_CANCEL);
  });

  it('sends every request over one session, concurrent ones included', async () => {
    const { up, gw } = await setup();
    for (let i = 0; i < 5; i++) expect((await request(gw.url, `/api/one/${i}`)).status).toBe(200);
    const together = await Promise.all(
      Array.from({ length: 10 }, (_, i) => request(gw.url, `/api/many/${i}`)),
    );
    expect(together.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(up.streams).toHaveLength(15);
    expect(up.sessions).toBe(1);
  });

  it('an upstream that died answers 502 GW_UPSTREAM_UNREACHABLE, and traffic flows again once it is back', async () => {
    const { up, gw } = await setup();
    expect((await request(gw.url, '/api/before')).status).toBe(200);
    const port = up.port;
    await up.close();

    const down = await request(gw.url, '/api/while-down');
    expect(down.status).toBe(502);
    expect(down.headers['content-type']).toBe('application/problem+json');
    expect(down.json).toMatchObject({ status: 502, code: 'GW_UPSTREAM_UNREACHABLE' });

    const again = await startH2Upstream(echo, port);
    cleanup.push(() => again.close());
    // Passive health may keep the target out for its cooldown: poll, the machine may be slow.
    let last = 0;
    await waitFor(async () => {
      last = (await request(gw.url, '/api/after')).status;
      return last === 200;
    }, 20_000);
    expect(last).toBe(200);
    expect(again.sessions).toBe(1);
  });

  it('an HTTP/1.1-only target answers 502 GW_UPSTREAM_BAD_RESPONSE (it does not speak HTTP/2)', async () => {
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const gw = await gatewayFor(up.url);
    const res = await request(gw.url, '/api/x');
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ code: 'GW_UPSTREAM_BAD_RESPONSE' });
  });

  describe('clocks (as on HTTP/1.1)', () => {
    async function gatewayWithRoute(up: H2Upstream, route: Record<string, unknown>) {
      const gw = await startTestGateway({
        services: { h2: { targets: [up.url], protocol: 'http2' } },
        routes: [{ path: '/api', service: 'h2', ...route }],
      });
      cleanup.push(() => gw.close());
      return gw;
    }

    it('an upstream that never answers → 504 GW_UPSTREAM_TIMEOUT, and its stream is reset', async () => {
      const up = await startH2Upstream(() => undefined);
      cleanup.push(() => up.close());
      const gw = await gatewayWithRoute(up, { timeout: '200ms' });
      const res = await request(gw.url, '/api/slow');
      expect(res.status).toBe(504);
      expect(res.json?.code).toBe('GW_UPSTREAM_TIMEOUT');
      await waitFor(() => up.streams[0]?.closedWith !== undefined);
      expect(up.streams[0]!.closedWith).toBe(http2.constants.NGHTTP2_CANCEL);
    });

    it('a buffered answer that stalls mid-body → 504 GW_UPSTREAM_IDLE_TIMEOUT', async () => {
      const up = await startH2Upstream((stream) => {
        stream.respond({ ':status': 200 });
        stream.write('partial');
      });
      cleanup.push(() => up.close());
      const gw = await gatewayWithRoute(up, { idleTimeout: '200ms', cache: { ttl: '30s' } });
      const res = await request(gw.url, '/api/cached');
      expect(res.status).toBe(504);
      expect(res.json?.code).toBe('GW_UPSTREAM_IDLE_TIMEOUT');
    });

    it('an https target that accepts TCP and never completes TLS → 504 GW_UPSTREAM_CONNECT_TIMEOUT', async () => {
      // TLS never completes: the session stays connecting until connectTimeout.
      const silent = net.createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const sockets = new Set<Socket>();
      silent.on('connection', (socket: Socket) => sockets.add(socket));
      cleanup.push(
        () =>
          new Promise<void>((resolve) => {
            for (const socket of sockets) socket.destroy();
            silent.close(() => resolve());
          }),
      );
      const port = (silent.address() as AddressInfo).port;
      const gw = await gatewayFor(`https://127.0.0.1:${port}`, { connectTimeout: '200ms' });
      const res = await request(gw.url, '/api/x');
      expect(res.status).toBe(504);
      expect(res.json?.code).toBe('GW_UPSTREAM_CONNECT_TIMEOUT');
    });
  });
});
