import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { request } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../openapi/fixtures');
const { gateway, upstream } = useTestServers();

/** orders has no targets: every answer comes from orders.yaml. */
function mockedOrders(validate = false) {
  return gateway({
    services: { orders: { openapi: path.join(fixtures, 'orders.yaml'), mock: 'openapi' } },
    routes: [
      {
        path: '/api/orders',
        service: 'orders',
        stripPrefix: '/api',
        ...(validate ? { validate: { request: true } } : {}),
      },
    ],
  });
}

const post = {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: '{"items":[{"sku":"A1","qty":1}]}',
};

describe('mock: openapi', () => {
  it("answers from the operation's first named example, with its status and media type", async () => {
    const gw = await mockedOrders();
    const answer = await request(gw.url, '/api/orders', post);
    expect(answer.status).toBe(201);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.json).toEqual({ id: 1, status: 'placed', items: [{ sku: 'A1', qty: 1 }] });
    const finished = gw.seen.find((e) => e.type === 'request-finished');
    expect(finished).toMatchObject({ outcome: { mocked: true, answeredBy: 'mock' } });
  });

  it('Prefer: example=name and Prefer: code=409 pick the response', async () => {
    const gw = await mockedOrders();
    const big = await request(gw.url, '/api/orders', {
      ...post,
      headers: { ...post.headers, prefer: 'example=big' },
    });
    expect(big.json).toMatchObject({ id: 2, items: [{ sku: 'B2', qty: 50 }] });
    const conflict = await request(gw.url, '/api/orders', {
      ...post,
      headers: { ...post.headers, prefer: 'code=409' },
    });
    expect(conflict.status).toBe(409);
    expect(conflict.json).toEqual({ error: 'duplicate order' });
  });

  it('refuses a Prefer the spec cannot satisfy with GW_MOCK_FAILED naming the choices', async () => {
    const gw = await mockedOrders();
    const code = await request(gw.url, '/api/orders', {
      ...post,
      headers: { ...post.headers, prefer: 'code=418' },
    });
    expect(code.status).toBe(422);
    expect(code.json).toMatchObject({ code: 'GW_MOCK_FAILED' });
    expect(String(code.json!.hint)).toContain('201, 409');
    const example = await request(gw.url, '/api/orders', {
      ...post,
      headers: { ...post.headers, prefer: 'example=huge' },
    });
    expect(example.status).toBe(422);
    expect(String(example.json!.hint)).toContain('small, big');
  });

  it('generates an answer from the schema when there is no example, the same for the same path', async () => {
    const gw = await mockedOrders();
    const first = await request(gw.url, '/api/orders/7');
    expect(first.status).toBe(200);
    const order = first.json!;
    expect(Number.isInteger(order.id) && (order.id as number) >= 1).toBe(true);
    expect(['placed', 'shipped']).toContain(order.status);
    expect(Number.isNaN(Date.parse(String(order.placedAt)))).toBe(false);
    expect(order.items).toEqual([{ sku: expect.any(String), qty: expect.any(Number) }]);
    expect((await request(gw.url, '/api/orders/7')).body).toBe(first.body);
    const list = await request(gw.url, '/api/orders?limit=1');
    expect(Array.isArray(JSON.parse(list.body))).toBe(true);
  });

  it('Prefer: code=404 answers from the 404 schema; a 204 has no body', async () => {
    const gw = await mockedOrders();
    const missing = await request(gw.url, '/api/orders/7', { headers: { prefer: 'code=404' } });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ title: 'Not found', status: 404 });
    const deleted = await request(gw.url, '/api/orders/7', { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBe('');
  });

  it('answers 404 and 405 for operations the spec lacks', async () => {
    const gw = await mockedOrders();
    expect((await request(gw.url, '/api/orders/7/lines')).json).toMatchObject({
      code: 'GW_OPERATION_NOT_FOUND',
    });
    const patch = await request(gw.url, '/api/orders', { method: 'PATCH' });
    expect(patch.status).toBe(405);
    expect(patch.headers.allow).toBe('GET, POST');
  });

  it('still validates the request first when the route asks for it', async () => {
    const gw = await mockedOrders(true);
    const bad = await request(gw.url, '/api/orders', { ...post, body: '{"items":[]}' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 'GW_REQUEST_INVALID', violations: [{ location: 'body/items' }] });
    expect((await request(gw.url, '/api/orders', post)).status).toBe(201);
  });

  it("fallback: 'openapi' answers from the spec while the target is down, from the target while it is up", async () => {
    const down = await upstream();
    const downUrl = down.url;
    await down.close();
    const gw = await gateway({
      services: {
        orders: { targets: [downUrl], openapi: path.join(fixtures, 'orders.yaml'), fallback: 'openapi' },
      },
      routes: [{ path: '/api/orders', service: 'orders', stripPrefix: '/api' }],
    });
    const answer = await request(gw.url, '/api/orders', post);
    expect(answer.status).toBe(201);
    expect(answer.json).toMatchObject({ id: 1, status: 'placed' });
    expect(gw.seen.find((e) => e.type === 'request-finished')).toMatchObject({
      outcome: { mocked: true, answeredBy: 'mock' },
    });
    const up = await upstream();
    const live = await gateway({
      services: {
        orders: { targets: [up.url], openapi: path.join(fixtures, 'orders.yaml'), fallback: 'openapi' },
      },
      routes: [{ path: '/api/orders', service: 'orders', stripPrefix: '/api' }],
    });
    expect((await request(live.url, '/api/orders', post)).status).toBe(200);
    expect(up.requests).toHaveLength(1);
  });

  it('a service without targets and without mock is still a config error', async () => {
    await expect(
      gateway({ services: { orders: { openapi: path.join(fixtures, 'orders.yaml') } }, routes: [] }),
    ).rejects.toMatchObject({ code: 'GW_CONFIG_INVALID' });
  });
});
