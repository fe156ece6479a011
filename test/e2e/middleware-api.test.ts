import http from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
// The public API as a config author gets it: types from the package itself (dist/index.d.ts).
import type { Answer, Middleware, MiddlewareContext, RequestView, RouteView } from 'gw';
import type * as gw from 'gw';
import type { GatewayConfigInput } from '../../src/config/schema.js';
// The gateway below runs from src/, so its errors are src/'s class (a config gets the same from 'gw').
import { GatewayError } from '../../src/errors.js';
import { listeningLine, spawnGw } from '../helpers/gw-process.js';
import { createProject } from '../helpers/project.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startUpstream, type TestUpstream, type UpstreamHandler } from '../helpers/upstream.js';

// @ts-expect-error -- the internal request context is not part of the public API
type _InternalContextStaysInternal = gw.GatewayContext;

type Route = NonNullable<GatewayConfigInput['routes']>[number];

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setup(
  route: Omit<Route, 'service'>,
  handler?: UpstreamHandler,
): Promise<{ up: TestUpstream; gw: TestGateway }> {
  const up = await startUpstream(handler);
  cleanup.push(() => up.close());
  const gw = await startTestGateway({
    services: { api: { targets: [up.url] } },
    routes: [{ ...route, service: 'api' }],
  });
  cleanup.push(() => gw.close());
  return { up, gw };
}

interface Problem {
  code: string;
  status: number;
  detail: string;
  middleware?: string;
  stack?: unknown;
}

async function problemOf(res: Response): Promise<Problem> {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  return (await res.json()) as Problem;
}

/** A POST whose body goes chunked (no Content-Length), which only a byte count can limit. */
function postChunked(url: string, parts: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    for (const part of parts) req.write(part);
    req.end();
  });
}

/** An upstream that answers with its own headers, to see what onResponse may change. */
const answersWith =
  (status: number, headers: Record<string, string>, body: string): UpstreamHandler =>
  (_req, res) => {
    res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

describe('the public middleware context: the request', () => {
  it('shows the request, params, route and caller, read-only', async () => {
    let seen:
      | {
          request: Omit<RequestView, 'query' | 'headers'> & { query: string; header?: unknown };
          params: unknown;
          route: RouteView;
          identity: MiddlewareContext['identity'];
        }
      | undefined;
    const look: Middleware = async (c, next) => {
      const { id, method, path, url, clientIp } = c.request;
      seen = {
        request: {
          id,
          method,
          path,
          url,
          clientIp,
          query: c.request.query.get('q')!,
          header: c.request.headers['x-probe'],
        },
        params: c.params,
        route: c.route,
        identity: c.identity,
      };
      await next();
    };
    const { up, gw } = await setup({ name: 'items', path: '/api/items/:id', auth: 'apiKey', use: [look] });
    const { key } = await gw.state.keys.create({ name: 'mobile-app', scopes: ['items:read'] });

    const res = await fetch(`${gw.url}/api/items/42?q=a%20b`, {
      headers: { 'x-api-key': key, 'x-request-id': 'req-1', 'x-probe': 'yes' },
    });

    expect(res.status).toBe(200);
    expect(up.requests).toHaveLength(1);
    expect(seen!.request).toEqual({
      id: 'req-1',
      method: 'GET',
      path: '/api/items/42',
      url: '/api/items/42?q=a%20b',
      clientIp: '127.0.0.1',
      query: 'a b',
      header: 'yes',
    });
    expect(seen!.params).toEqual({ id: '42' });
    expect(seen!.route).toEqual({ id: 'items', name: 'items', path: '/api/items/:id', service: 'api' });
    expect(seen!.identity).toMatchObject({ kind: 'apiKey', name: 'mobile-app', scopes: ['items:read'] });
  });

  it('sets and removes headers on the request sent upstream', async () => {
    const edit: Middleware = async (c, next) => {
      c.setRequestHeader('X-Tenant', 'acme');
      c.setRequestHeader('x-list', ['a', 'b']);
      c.removeRequestHeader('x-drop-me');
      await next();
    };
    const { up, gw } = await setup({ path: '/api', use: [edit] });

    const res = await fetch(`${gw.url}/api/x`, { headers: { 'x-drop-me': 'secret', 'x-keep': '1' } });

    expect(res.status).toBe(200);
    const received = up.requests[0]!.headers;
    expect(received['x-tenant']).toBe('acme');
    expect(received['x-list']).toBe('a, b');
    expect(received['x-drop-me']).toBeUndefined();
    expect(received['x-keep']).toBe('1');
  });

  it('refuses to set the body framing headers (500 naming the middleware, upstream never called)', async () => {
    const frame: Middleware = async function frameIt(c, next) {
      c.setRequestHeader('content-length', '5');
      await next();
    };
    const { up, gw } = await setup({ path: '/api', use: [frame] });
    const res = await fetch(`${gw.url}/api`);
    expect(res.status).toBe(500);
    expect((await problemOf(res)).middleware).toBe('use[0] (frameIt)');
    expect(up.requests).toHaveLength(0);
  });
});

describe('the public middleware context: the body', () => {
  it('reads the JSON body and replaces what goes upstream', async () => {
    const stamp: Middleware = async (c, next) => {
      const order = await c.body.json<{ item: string }>();
      expect(await c.body.text()).toBe('{"item":"tea"}'); // a second read gives the same bytes
      c.body.replaceJson({ ...order, tenant: 'acme' });
      await next();
    };
    const { up, gw } = await setup({ path: '/api', use: [stamp] });

    const res = await fetch(`${gw.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"item":"tea"}',
    });

    expect(res.status).toBe(200);
    const received = up.requests[0]!;
    expect(JSON.parse(received.body)).toEqual({ item: 'tea', tenant: 'acme' });
    expect(received.headers['content-type']).toBe('application/json');
    expect(received.headers['content-length']).toBe(String(Buffer.byteLength(received.body)));
    expect(received.headers['transfer-encoding']).toBeUndefined();
  });

  it('sends the body it read on unchanged when it does not replace it (chunked in, length out)', async () => {
    const peek: Middleware = async (c, next) => {
      expect((await c.body.buffer()).length).toBe(10);
      await next();
    };
    const { up, gw } = await setup({ path: '/api', use: [peek] });
    const res = await postChunked(`${gw.url}/api`, ['hello', 'world']);
    expect(res.status).toBe(200);
    expect(up.requests[0]!.body).toBe('helloworld');
    expect(up.requests[0]!.headers['content-length']).toBe('10');
  });

  it("stops reading at the route's bodyLimit: 413, upstream never called", async () => {
    const read: Middleware = async (c, next) => {
      await c.body.text();
      await next();
    };
    const { up, gw } = await setup({ path: '/api', bodyLimit: '16b', use: [read] });
    const res = await postChunked(`${gw.url}/api`, ['0123456789', '0123456789']);
    expect(res.status).toBe(413);
    expect((JSON.parse(res.body) as Problem).code).toBe('GW_BODY_TOO_LARGE');
    expect(up.requests).toHaveLength(0);
  });

  it('answers 400 GW_BODY_INVALID_JSON for a body that is not JSON', async () => {
    const parse: Middleware = async (c, next) => {
      await c.body.json();
      await next();
    };
    const { up, gw } = await setup({ path: '/api', use: [parse] });
    const res = await fetch(`${gw.url}/api`, { method: 'POST', body: '{nope' });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).code).toBe('GW_BODY_INVALID_JSON');
    expect(up.requests).toHaveLength(0);
  });
});

describe('the public middleware context: answering', () => {
  it('answers on its own with respond() and json(); the upstream is never called', async () => {
    const answer: Middleware = async (c, next) => {
      if (c.request.path === '/api/teapot') return c.respond(418, 'short and stout', { 'X-Pot': 'yes' });
      if (c.request.path === '/api/json') return c.json(202, { queued: true });
      await next();
    };
    const { up, gw } = await setup({ path: '/api', use: [answer] });

    const teapot = await fetch(`${gw.url}/api/teapot`, { headers: { 'x-request-id': 'tea-1' } });
    expect(teapot.status).toBe(418);
    expect(teapot.headers.get('x-pot')).toBe('yes');
    expect(teapot.headers.get('x-request-id')).toBe('tea-1');
    expect(await teapot.text()).toBe('short and stout');

    const json = await fetch(`${gw.url}/api/json`);
    expect(json.status).toBe(202);
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(await json.json()).toEqual({ queued: true });
    expect(up.requests).toHaveLength(0);
  });

  it('answers a WebSocket upgrade with respond(); the upgrade never reaches the upstream', async () => {
    const refuse: Middleware = async (c, next) => {
      if (c.request.query.get('room') === 'closed') return c.json(403, { error: 'room closed' });
      await next();
    };
    const { up, gw } = await setup({ path: '/ws', websocket: true, use: [refuse] });
    let upgrades = 0;
    up.server.on('upgrade', (_req, socket: Duplex) => {
      upgrades++;
      socket.destroy();
    });
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${gw.url}/ws?room=closed`, {
        agent: false,
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      });
      req.on('upgrade', () => reject(new Error('the upgrade went through')));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }),
        );
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toEqual({ error: 'room closed' });
    expect(upgrades).toBe(0);
  });

  it("sets and removes headers on the client's answer, the upstream's included", async () => {
    const edit: Middleware = async (c, next) => {
      c.setResponseHeader('x-served-by', 'gw');
      c.removeResponseHeader('x-powered-by');
      await next();
    };
    const { gw } = await setup(
      { path: '/api', use: [edit] },
      answersWith(200, { 'x-powered-by': 'Express', 'content-type': 'text/plain' }, 'hi'),
    );
    const res = await fetch(`${gw.url}/api`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-served-by')).toBe('gw');
    expect(res.headers.has('x-powered-by')).toBe(false);
    expect(await res.text()).toBe('hi');
  });

  it("keeps a response header on gw's own error answers", async () => {
    const edit: Middleware = async (c, next) => {
      c.setResponseHeader('x-served-by', 'gw');
      await next();
    };
    const up = await startUpstream();
    await up.close(); // nothing listens there any more: 502
    const gw = await startTestGateway({
      services: { api: { targets: [up.url] } },
      routes: [{ path: '/api', service: 'api', use: [edit] }],
    });
    cleanup.push(() => gw.close());
    const res = await fetch(`${gw.url}/api`);
    expect(res.status).toBe(502);
    expect(res.headers.get('x-served-by')).toBe('gw');
  });
});

describe('the public middleware context: onResponse', () => {
  it("edits a streamed upstream answer's status and headers before the head is written", async () => {
    let body: Answer['body'] = Buffer.from('unset');
    const observe: Middleware = async (c, next) => {
      c.onResponse((answer) => {
        body = answer.body;
        answer.status = answer.status === 200 ? 203 : answer.status;
        delete answer.headers['x-secret'];
        answer.headers['x-upstream-status'] = '200';
      });
      await next();
    };
    const { gw } = await setup(
      { path: '/api', use: [observe] },
      answersWith(200, { 'x-secret': 'k', 'content-type': 'text/plain' }, 'streamed'),
    );
    const res = await fetch(`${gw.url}/api`);
    expect(res.status).toBe(203);
    expect(res.headers.has('x-secret')).toBe(false);
    expect(res.headers.get('x-upstream-status')).toBe('200');
    expect(await res.text()).toBe('streamed');
    expect(body).toBeUndefined(); // a streamed answer offers no body
  });

  it('reads and replaces a buffered body, once per answer, also when the cache answers', async () => {
    const wrap: Middleware = async (c, next) => {
      c.onResponse((answer) => {
        answer.headers['x-wrapped'] = [answer.headers['x-wrapped'] ?? [], 'once'].flat().join(',');
        answer.body = Buffer.from(`[${answer.body!.toString('utf8')}]`);
      });
      await next();
    };
    const { up, gw } = await setup(
      { path: '/api', cache: { ttl: '1m' }, use: [wrap] },
      answersWith(200, { 'content-type': 'text/plain' }, 'fresh'),
    );

    const miss = await fetch(`${gw.url}/api/a`);
    expect(miss.headers.get('x-cache')).toBe('MISS');
    expect(miss.headers.get('x-wrapped')).toBe('once');
    expect(await miss.text()).toBe('[fresh]');

    const hit = await fetch(`${gw.url}/api/a`);
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.headers.get('x-wrapped')).toBe('once');
    expect(hit.headers.get('content-length')).toBe('7');
    expect(await hit.text()).toBe('[fresh]');
    expect(up.requests).toHaveLength(1);
  });

  it('sees the answer a later middleware gives with respond()', async () => {
    const observe: Middleware = async (c, next) => {
      c.onResponse((answer) => {
        answer.headers['x-observed'] = String(answer.status);
      });
      await next();
    };
    const answer: Middleware = async (c) => c.json(201, { ok: true });
    const { up, gw } = await setup({ path: '/api', use: [observe, answer] });
    const res = await fetch(`${gw.url}/api`);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-observed')).toBe('201');
    expect(up.requests).toHaveLength(0);
  });

  it('a handler that throws on a buffered answer gives 500 GW_INTERNAL naming its middleware', async () => {
    const observe: Middleware = async function badHandler(c, next) {
      c.onResponse(() => {
        throw new Error('boom');
      });
      await next();
    };
    const { gw } = await setup({ path: '/api', cache: { ttl: '1m' }, use: [observe] });
    const res = await fetch(`${gw.url}/api`);
    expect(res.status).toBe(500);
    const problem = await problemOf(res);
    expect(problem.code).toBe('GW_INTERNAL');
    expect(problem.middleware).toBe('use[0] (badHandler)');
  });

  it('a handler that throws on a streamed answer closes the connection instead of sending it unedited', async () => {
    const observe: Middleware = async (c, next) => {
      c.onResponse(() => {
        throw new Error('boom');
      });
      await next();
    };
    const { up, gw } = await setup({ path: '/api', use: [observe] });
    await expect(fetch(`${gw.url}/api`).then((res) => res.text())).rejects.toThrow();
    expect(up.requests).toHaveLength(1);
    // The gateway keeps serving.
    const again = await fetch(`${gw.url}/__gw/health`);
    expect(again.status).toBeLessThan(500);
  });
});

describe('the public middleware context: errors', () => {
  it('a GatewayError keeps its code and status', async () => {
    const deny: Middleware = async () => {
      throw new GatewayError('GW_FORBIDDEN', 'not on Fridays');
    };
    const { up, gw } = await setup({ path: '/api', use: [deny] });
    const res = await fetch(`${gw.url}/api`);
    expect(res.status).toBe(403);
    expect((await problemOf(res)).code).toBe('GW_FORBIDDEN');
    expect(up.requests).toHaveLength(0);
  });

  it('anything else is 500 GW_INTERNAL naming the middleware, without a stack', async () => {
    const ok: Middleware = async (_c, next) => next();
    const broken: Middleware = async function tenantFromHost() {
      throw new TypeError('cannot read tenant');
    };
    const { up, gw } = await setup({ path: '/api', use: [ok, broken] });
    const res = await fetch(`${gw.url}/api`);
    expect(res.status).toBe(500);
    const problem = await problemOf(res);
    expect(problem.code).toBe('GW_INTERNAL');
    expect(problem.middleware).toBe('use[1] (tenantFromHost)');
    expect(problem.detail).toContain('cannot read tenant');
    expect(JSON.stringify(problem)).not.toMatch(/\bat .+:\d+:\d+/);
    expect(up.requests).toHaveLength(0);
  });

  it('a middleware that neither calls next() nor answers gets 500, not a hung request', async () => {
    const forgetful: Middleware = async function forgetful() {};
    const { up, gw } = await setup({ path: '/api', use: [forgetful] });
    const res = await fetch(`${gw.url}/api`);
    expect(res.status).toBe(500);
    expect((await problemOf(res)).middleware).toBe('use[0] (forgetful)');
    expect(up.requests).toHaveLength(0);
  });

  it("upstream errors pass through a middleware's next() with their own code", async () => {
    const around: Middleware = async (_c, next) => next();
    const { gw } = await setup({ path: '/api', timeout: '200ms', use: [around] }, () => {
      // never answers: the route's timeout trips
    });
    const res = await fetch(`${gw.url}/api`);
    expect(res.status).toBe(504);
    expect((await problemOf(res)).code).toBe('GW_UPSTREAM_TIMEOUT');
  });
});

describe('a config that imports the API from gw (a real gw dev process)', { timeout: 60_000 }, () => {
  it("runs its middleware, and its GatewayError from 'gw' keeps code and status", async () => {
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const project = await createProject({
      'gateway.config.ts': `import { defineConfig, GatewayError, type Middleware } from 'gw';

const tenant: Middleware = async (c, next) => {
  const name = c.request.query.get('tenant');
  if (!name) throw new GatewayError('GW_FORBIDDEN', 'say which tenant');
  c.setRequestHeader('x-tenant', name);
  c.onResponse((answer) => {
    answer.headers['x-tenant-served'] = name;
  });
  await next();
};

export default defineConfig({
  services: { api: { targets: ['${up.url}'] } },
  routes: [{ path: '/api', service: 'api', use: [tenant] }],
});
`,
    });
    cleanup.push(() => project.cleanup());
    const dev = spawnGw(['dev', '--no-dashboard', '--port', '0'], { cwd: project.dir });
    cleanup.push(() => dev.stop());
    const [, url] = await dev.waitForOutput(listeningLine);

    const refused = await fetch(`${url}/api`);
    expect(refused.status).toBe(403);
    expect((await problemOf(refused)).code).toBe('GW_FORBIDDEN');
    expect(up.requests).toHaveLength(0);

    const served = await fetch(`${url}/api?tenant=acme`);
    expect(served.status).toBe(200);
    expect(served.headers.get('x-tenant-served')).toBe('acme');
    expect(up.requests[0]!.headers['x-tenant']).toBe('acme');
  });
});
