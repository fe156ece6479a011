import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { importSignKey } from '../../src/identity/key-ring.js';
import { parseRawAnswer, rawExchange, request } from '../helpers/http.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useTestServers } from '../helpers/test-servers.js';

/**
 * The headers gw sets for the upstream (who called, from where, which request) are facts the
 * client must not be able to forge, remove or crowd out.
 */
const { upstream, gateway, cleanup } = useTestServers();

const now = () => Math.floor(Date.now() / 1000);

/** A token gw itself signed: sub → X-User-ID, client_id → X-Client-ID, scope → X-Scopes. */
async function signToken(gw: TestGateway): Promise<string> {
  const entry = (await gw.state.signingKeys.ensure()).keys[0]!;
  return new SignJWT({ iss: 'gw', aud: 'gw', sub: 'alice', client_id: 'web', scope: 'orders:read' })
    .setIssuedAt(now())
    .setExpirationTime(now() + 600)
    .setProtectedHeader({ alg: entry.alg, kid: entry.kid })
    .sign(await importSignKey(entry));
}

describe('forwarding headers', () => {
  it("replaces the client's Forwarded and X-Real-IP as it replaces X-Forwarded-For", async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const res = await request(gw.url, '/api/a', {
      headers: {
        forwarded: 'for=203.0.113.9;proto=https;host=bank.example',
        'x-real-ip': '203.0.113.9',
        'x-forwarded-for': '203.0.113.9',
      },
    });
    expect(res.status).toBe(200);
    const seen = up.requests[0]!.headers;
    expect(seen.forwarded).toBeUndefined();
    expect(seen['x-real-ip']).toBe('127.0.0.1');
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
  });
});

describe('Connection options name only what the client sent (RFC 9110 §7.6.1)', () => {
  it("cannot remove gw's identity and forwarding headers, nor Host", async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's', auth: 'jwt' }],
    });
    const token = await signToken(gw);
    const res = await request(gw.url, '/api/a', {
      headers: {
        host: 'shop.localhost:3000',
        authorization: `Bearer ${token}`,
        connection:
          'X-User-ID, X-Client-ID, X-Scopes, X-Forwarded-For, X-Forwarded-Host, X-Request-ID, X-Real-IP, Host, X-Hop',
        'x-request-id': 'client-chosen-id',
        'x-hop': 'dropped',
      },
    });
    expect(res.status).toBe(200);
    const seen = up.requests[0]!.headers;
    expect(seen.host).toBe('shop.localhost:3000');
    expect(seen['x-user-id']).toBe('alice');
    expect(seen['x-client-id']).toBe('web');
    expect(seen['x-scopes']).toBe('orders:read');
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-host']).toBe('shop.localhost:3000');
    expect(seen['x-real-ip']).toBe('127.0.0.1');
    expect(seen['x-request-id']).toBe(res.headers['x-request-id']);
    // What the client named of its own is still a hop-by-hop header: removed.
    expect(seen['x-hop']).toBeUndefined();
  });

  it('cannot strip a body’s framing by naming Content-Length (the body would reach the upstream unframed)', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const answer = parseRawAnswer(
      await rawExchange(
        gw.url,
        'DELETE /api/a HTTP/1.1\r\nHost: a.localhost\r\nConnection: close, Content-Length\r\nContent-Length: 5\r\n\r\nhello',
      ),
    );
    expect(answer.status).toBe(200);
    expect(up.requests.map((r) => [r.url, r.body])).toEqual([['/api/a', 'hello']]);
  });
});

/** A Node upstream that keeps the first `maxHeadersCount` header lines and silently drops the rest. */
async function startCountingUpstream(maxHeadersCount: number) {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    res.end('ok');
  });
  server.maxHeadersCount = maxHeadersCount;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A raw GET with `count` header lines in all (Host and Connection included). */
function crowdedHead(count: number): string {
  const filler = Array.from({ length: count - 2 }, (_, i) => `X-H${i}: v\r\n`).join('');
  return `GET /api/a HTTP/1.1\r\nHost: a.localhost\r\nConnection: close\r\n${filler}\r\n`;
}

describe('a head crowded with client headers', () => {
  it('refuses with 431 a head whose lines would push gw’s own past the upstream’s limit', async () => {
    const up = await startCountingUpstream(1000);
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const answer = parseRawAnswer(await rawExchange(gw.url, crowdedHead(1000)));
    expect(answer.status).toBe(431);
    expect(answer.json?.code).toBe('GW_BAD_REQUEST');
    expect(up.seen).toEqual([]);
  });

  it('forwards the largest head it accepts with every gw header inside a 110-line upstream limit', async () => {
    const up = await startCountingUpstream(110);
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's' }],
    });
    const answer = parseRawAnswer(await rawExchange(gw.url, crowdedHead(100)));
    expect(answer.status).toBe(200);
    const seen = up.seen[0]!;
    expect(seen['x-h97']).toBe('v');
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-real-ip']).toBe('127.0.0.1');
    expect(seen['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
