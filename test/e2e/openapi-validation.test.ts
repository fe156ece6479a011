import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { request } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../openapi/fixtures');
const { upstream, gateway } = useTestServers();

/** A gw in front of a real upstream whose spec says /orders…; the gateway's paths are /api/orders…. */
async function ordersGateway(extra: Record<string, unknown> = {}) {
  const up = await upstream();
  const gw = await gateway({
    services: { orders: { targets: [up.url], openapi: path.join(fixtures, 'orders.yaml') } },
    routes: [
      { path: '/api/orders', service: 'orders', stripPrefix: '/api', validate: { request: true }, ...extra },
    ],
  });
  return { up, gw };
}

const goodHeaders = { 'x-tenant': 't-7', cookie: 'theme=dark; session=abcd' };
const violations = (json: Record<string, unknown> | undefined) =>
  (json?.violations as Array<{ location: string; expected: string }>).map((v) => v.location).sort();

describe('OpenAPI request validation', () => {
  it('forwards a request that matches the operation (query, header, cookie) untouched', async () => {
    const { up, gw } = await ordersGateway();
    const answer = await request(gw.url, '/api/orders?limit=10', { headers: goodHeaders });
    expect(answer.status).toBe(200);
    expect(up.requests).toHaveLength(1);
    expect(up.requests[0]!.url).toBe('/orders?limit=10');
  });

  it('refuses a bad query, header and cookie at once with 400 GW_REQUEST_INVALID, upstream untouched', async () => {
    const { up, gw } = await ordersGateway();
    const answer = await request(gw.url, '/api/orders?limit=500', {
      headers: { 'x-tenant': 'tenant7', cookie: 'session=ab' },
    });
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.json).toMatchObject({ code: 'GW_REQUEST_INVALID', operation: 'GET /orders' });
    expect(violations(answer.json)).toEqual(['cookie/session', 'header/x-tenant', 'query/limit']);
    const limit = (answer.json!.violations as Array<{ location: string; expected: string }>).find(
      (v) => v.location === 'query/limit',
    );
    expect(limit?.expected).toContain('<= 100');
    expect(up.requests).toHaveLength(0);
  });

  it('names a missing required query, header and cookie', async () => {
    const { gw } = await ordersGateway();
    const answer = await request(gw.url, '/api/orders');
    expect(answer.status).toBe(400);
    expect(violations(answer.json)).toEqual(['cookie/session', 'header/x-tenant', 'query/limit']);
  });

  it('checks path params: an integer id passes, a word does not', async () => {
    const { up, gw } = await ordersGateway();
    expect((await request(gw.url, '/api/orders/42')).status).toBe(200);
    const bad = await request(gw.url, '/api/orders/abc');
    expect(bad.status).toBe(400);
    expect(violations(bad.json)).toEqual(['path/orderId']);
    expect(up.requests.map((r) => r.url)).toEqual(['/orders/42']);
  });

  it('judges a path param with a malformed escape as sent (400, not a crash)', async () => {
    const { up, gw } = await ordersGateway();
    const answer = await request(gw.url, '/api/orders/%E0%A4%A');
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ code: 'GW_REQUEST_INVALID' });
    expect(up.requests).toHaveLength(0);
  });

  it('checks the JSON body, points at each bad field, and forwards a good body byte for byte', async () => {
    const { up, gw } = await ordersGateway();
    const good = JSON.stringify({ items: [{ sku: 'A1', qty: 2 }], note: null });
    const ok = await request(gw.url, '/api/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: good,
    });
    expect(ok.status).toBe(200);
    expect(up.requests[0]!.body).toBe(good);
    const bad = await request(gw.url, '/api/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ sku: 'A1', qty: 0 }, { qty: 'two' }], extra: 1 }),
    });
    expect(bad.status).toBe(400);
    expect(violations(bad.json)).toEqual([
      'body',
      'body/items/0/qty',
      'body/items/1/qty',
      'body/items/1/sku',
    ]);
    expect(up.requests).toHaveLength(1);
  });

  it('refuses a missing required body, a body that is not JSON, and an unlisted media type', async () => {
    const { up, gw } = await ordersGateway();
    const missing = await request(gw.url, '/api/orders', { method: 'POST' });
    expect(violations(missing.json)).toEqual(['body']);
    const broken = await request(gw.url, '/api/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"items": [',
    });
    expect(broken.status).toBe(400);
    expect(violations(broken.json)).toEqual(['body']);
    const text = await request(gw.url, '/api/orders', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(violations(text.json)).toEqual(['header/content-type']);
    expect(up.requests).toHaveLength(0);
  });

  it('reads the body within bodyLimit (413 above it)', async () => {
    const { up, gw } = await ordersGateway({ bodyLimit: 64 });
    const answer = await request(gw.url, '/api/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body: JSON.stringify({ items: Array.from({ length: 20 }, () => ({ sku: 'A1', qty: 1 })) }),
    });
    expect(answer.status).toBe(413);
    expect(answer.json).toMatchObject({ code: 'GW_BODY_TOO_LARGE' });
    expect(up.requests).toHaveLength(0);
  });

  it('answers 404 for a path the spec lacks and 405 with Allow for a method it lacks', async () => {
    const { up, gw } = await ordersGateway();
    const missing = await request(gw.url, '/api/orders/1/items');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'GW_OPERATION_NOT_FOUND' });
    const method = await request(gw.url, '/api/orders/1', { method: 'PATCH' });
    expect(method.status).toBe(405);
    expect(method.json).toMatchObject({ code: 'GW_OPERATION_METHOD_NOT_ALLOWED' });
    expect(method.headers.allow).toBe('GET, DELETE');
    expect(up.requests).toHaveLength(0);
  });

  it('reads OpenAPI 3.1 (JSON Schema 2020-12 types, formats, a recursive $ref)', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { users: { targets: [up.url], openapi: path.join(fixtures, 'users-3.1.json') } },
      routes: [{ path: '/users', service: 'users', validate: { request: true } }],
    });
    const id = '0b4f1f7e-5d5e-4a3b-9d1c-2a6f5b1e0c11';
    const put = (body: unknown) =>
      request(gw.url, `/users/${id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(
      (await put({ email: 'a@example.com', nickname: null, friends: [{ email: 'b@example.com' }] })).status,
    ).toBe(200);
    const bad = await put({ email: 'not-an-email', nickname: 3 });
    expect(violations(bad.json)).toEqual(['body/email', 'body/nickname']);
    expect(violations((await request(gw.url, '/users/7')).json)).toEqual(['path/id']);
    expect(up.requests).toHaveLength(1);
  });
});

describe('OpenAPI spec problems are config errors', () => {
  it.each([
    ['unparseable.yaml', /unparseable\.yaml: is not valid YAML or JSON/],
    ['broken-ref.yaml', /broken-ref\.yaml: \$ref '\.\/schemas\.yaml#\/Missing' points at nothing/],
    ['nowhere.yaml', /nowhere\.yaml: cannot be read/],
  ])('%s → GW_OPENAPI_INVALID naming the file', async (file, message) => {
    await expect(
      gateway({
        services: { s: { targets: ['http://127.0.0.1:9'], openapi: path.join(fixtures, file) } },
        routes: [{ path: '/s', service: 's', validate: { request: true } }],
      }),
    ).rejects.toMatchObject({ code: 'GW_OPENAPI_INVALID', file: path.join(fixtures, file), message });
  });

  it('validate on a route whose service has no spec is GW_CONFIG_INVALID', async () => {
    await expect(
      gateway({
        services: { s: { targets: ['http://127.0.0.1:9'] } },
        routes: [{ path: '/s', service: 's', validate: { request: true } }],
      }),
    ).rejects.toMatchObject({ code: 'GW_CONFIG_INVALID' });
  });
});
