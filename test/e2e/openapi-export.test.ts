import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { importSignKey } from '../../src/identity/key-ring.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { request, type RawResponse } from '../helpers/http.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/**
 * /__gw/openapi.json and /__gw/docs against a real gateway in front of real upstreams (issue 16,
 * item 4): two services with specs (OpenAPI 3.0 YAML with a cross-file $ref, 3.1 JSON), one
 * without, API-key and JWT routes, and a rate limit. Each claim of the document is checked
 * against what gw really does on that route.
 */

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../openapi/fixtures');

/** The parts of an OpenAPI document these tests read. */
interface Schema {
  type?: unknown;
  format?: string;
  required?: string[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: Schema;
}
interface Response {
  $ref?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, { schema: Schema & { $ref?: string } }>;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, Response>;
  security: Array<Record<string, string[]>>;
}
interface OpenApiDocument {
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    responses: Record<string, Response>;
    securitySchemes?: Record<string, unknown>;
  };
}
/** JSON text as a type the test names (JSON.parse gives no type of its own). */
const parse = <T>(text: string): T => JSON.parse(text) as T;

const userId = '0b4f1f7e-5d5e-4a3b-9d1c-2a6f5b1e0c11';

function configOf(
  specs: string,
  ups: Record<'orders' | 'users' | 'legacy', TestUpstream>,
): GatewayConfigInput {
  return {
    services: {
      orders: { targets: [ups.orders.url], openapi: path.join(specs, 'orders.yaml') },
      users: { targets: [ups.users.url], openapi: path.join(specs, 'users-3.1.json') },
      legacy: { targets: [ups.legacy.url] },
    },
    identity: { apiKey: { header: 'x-team-key' } },
    routes: [
      {
        path: '/api/orders',
        service: 'orders',
        stripPrefix: '/api',
        auth: 'apiKey',
        rateLimit: { limit: 2, window: '1m' },
        validate: { request: true },
      },
      {
        path: '/people',
        service: 'users',
        rewrite: { from: '^/people', to: '/users' },
        auth: 'jwt',
        scopes: ['users:read'],
      },
      { path: '/legacy', service: 'legacy', methods: ['GET', 'POST'], bodyLimit: '1kb' },
    ],
  };
}

/** A folder of its own with the spec files, so one test may edit them. */
async function copySpecs(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-openapi-export-'));
  for (const file of ['orders.yaml', 'schemas.yaml', 'users-3.1.json'])
    await copyFile(path.join(fixtures, file), path.join(dir, file));
  return dir;
}

async function tokenFor(gw: TestGateway, scope: string): Promise<string> {
  const entry = (await gw.state.signingKeys.ensure()).keys[0]!;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: 'gw', aud: 'gw', sub: 'ada', scope, iat: now, exp: now + 600 })
    .setProtectedHeader({ alg: entry.alg, kid: entry.kid })
    .sign(await importSignKey(entry));
}

const fetchDocument = async (gw: TestGateway): Promise<RawResponse> => request(gw.url, '/__gw/openapi.json');

describe('/__gw/openapi.json: the gateway published as one OpenAPI 3.1 document', () => {
  let ups: Record<'orders' | 'users' | 'legacy', TestUpstream>;
  let gw: TestGateway;
  let specs: string;
  let doc: OpenApiDocument;
  let text: string;
  let isProblem: (value: unknown) => boolean;

  beforeAll(async () => {
    specs = await copySpecs();
    ups = { orders: await startUpstream(), users: await startUpstream(), legacy: await startUpstream() };
    gw = await startTestGateway(configOf(specs, ups));
    const answer = await fetchDocument(gw);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    text = answer.body;
    doc = parse<OpenApiDocument>(text);
    isProblem = new Ajv2020({ strict: false }).compile(doc.components.schemas.Problem!);
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await Promise.all(Object.values(ups ?? {}).map((up) => up.close()));
    if (specs) await rm(specs, { recursive: true, force: true });
  });

  const operation = (p: string, method: string): Operation => doc.paths[p]![method]!;
  const allOperations = (): Array<[string, string, Operation]> =>
    Object.entries(doc.paths).flatMap(([p, item]) =>
      Object.entries(item).map(([method, op]): [string, string, Operation] => [p, method, op]),
    );
  const component = (ref: string | undefined): Response => doc.components.responses[ref!.split('/').at(-1)!]!;

  it('validates as OpenAPI 3.1 with a real validator, which does refuse a broken copy', async () => {
    const validator = new Validator();
    const result = await validator.validate(parse<Record<string, unknown>>(text));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // The validator bites: the same document with a dangling $ref and no info is refused.
    const broken = parse<Record<string, unknown>>(text);
    delete broken.info;
    expect((await new Validator().validate(broken)).valid).toBe(false);
    const dangling = text.replace('#/components/responses/GwPayloadTooLarge', '#/components/responses/Nope');
    expect(dangling).not.toBe(text);
    expect((await new Validator().validate(parse<Record<string, unknown>>(dangling))).valid).toBe(false);
  });

  it("holds the gateway's paths, not the upstreams': each spec's operations mapped back through stripPrefix and rewrite, a generic operation for the service without one", () => {
    const methods = Object.fromEntries(
      Object.entries(doc.paths).map(([p, item]) => [p, Object.keys(item).sort()]),
    );
    expect(methods).toEqual({
      '/api/orders': ['get', 'post'],
      '/api/orders/{orderId}': ['delete', 'get'],
      '/people/{id}': ['get', 'put'],
      '/legacy': ['get', 'post'],
    });
    // The spec's own parameters and bodies came along, $refs across files resolved.
    expect(operation('/api/orders', 'get').parameters!.map((p) => `${p.in}/${p.name}`)).toEqual([
      'query/limit',
      'header/X-Tenant',
      'cookie/session',
    ]);
    expect(operation('/api/orders/{orderId}', 'get').parameters).toEqual([
      { name: 'orderId', in: 'path', required: true, schema: { type: 'integer' } },
    ]);
    const newOrder = operation('/api/orders', 'post').requestBody!.content['application/json']!.schema;
    expect(newOrder.required).toEqual(['items']);
    // OpenAPI 3.0's `nullable` became a 3.1 type list.
    expect(newOrder.properties!.note).toEqual({ type: ['string', 'null'] });
    expect(operation('/people/{id}', 'get').parameters![0]!.schema).toEqual({
      type: 'string',
      format: 'uuid',
    });
    // The service without a spec: one operation per method of the route, answered by the service.
    expect(operation('/legacy', 'post').requestBody).toBeDefined();
    expect(operation('/legacy', 'get').responses.default).toBeDefined();
    const ids = allOperations().map(([, , op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('orders_listOrders');
  });

  it('every documented path reaches its service at the path its spec names', async () => {
    const key = (await gw.state.keys.create({ name: 'paths', scopes: [] })).key;
    const token = await tokenFor(gw, 'users:read');
    const calls: Array<[string, string, Record<string, string>, TestUpstream, string]> = [
      ['GET', '/api/orders/42', { 'x-team-key': key }, ups.orders, '/orders/42'],
      ['GET', `/people/${userId}`, { authorization: `Bearer ${token}` }, ups.users, `/users/${userId}`],
      ['POST', '/legacy', {}, ups.legacy, '/legacy'],
    ];
    for (const [method, gatewayPath, headers, up, upstreamPath] of calls) {
      const template = Object.keys(doc.paths).find((p) =>
        new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(gatewayPath),
      );
      expect(doc.paths[template!]![method.toLowerCase()], `${method} ${gatewayPath}`).toBeDefined();
      const answer = await request(gw.url, gatewayPath, { method, headers });
      expect(answer.status, `${method} ${gatewayPath}`).toBe(200);
      expect(up.requests.at(-1)).toMatchObject({ method, url: upstreamPath });
    }
  });

  it('declares the security schemes gw checks (the configured API key header, bearer JWT) and each route needs them', async () => {
    expect(doc.components.securitySchemes).toEqual({
      apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-team-key' }),
      bearerJwt: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
    });
    for (const [p, method, op] of allOperations()) {
      const expected = p.startsWith('/api/orders')
        ? [{ apiKey: [] }]
        : p.startsWith('/people')
          ? [{ bearerJwt: ['users:read'] }]
          : [];
      expect(op.security, `${method} ${p}`).toEqual(expected);
    }
    // As documented: the key in the named header passes, none gets the documented 401 ...
    const key = (await gw.state.keys.create({ name: 'schemes', scopes: [] })).key;
    expect((await request(gw.url, '/api/orders/7', { headers: { 'x-team-key': key } })).status).toBe(200);
    const missing = await request(gw.url, '/api/orders/7');
    expect(missing.status).toBe(401);
    expect(component(operation('/api/orders/{orderId}', 'get').responses['401']?.$ref)).toBeDefined();
    expect(isProblem(missing.json)).toBe(true);
    expect(missing.json).toMatchObject({ code: 'GW_UNAUTHENTICATED' });
    // ... and a token without the scope gets the documented 403.
    const unscoped = await request(gw.url, `/people/${userId}`, {
      headers: { authorization: `Bearer ${await tokenFor(gw, 'other')}` },
    });
    expect(unscoped.status).toBe(403);
    expect(operation('/people/{id}', 'get').responses['403']).toBeDefined();
    expect(isProblem(unscoped.json)).toBe(true);
    // The route without auth takes no credentials and documents no 401.
    expect((await request(gw.url, '/legacy')).status).toBe(200);
    expect(operation('/legacy', 'get').responses['401']).toBeUndefined();
  });

  it('documents 429 with the rate-limit headers on the rate-limited route only, and gw sends exactly those', async () => {
    for (const [p, method, op] of allOperations()) {
      if (p.startsWith('/api/orders')) expect(op.responses['429'], `${method} ${p}`).toBeDefined();
      else expect(op.responses['429'], `${method} ${p}`).toBeUndefined();
    }
    const limited = component(operation('/api/orders', 'get').responses['429']?.$ref);
    const documented = Object.keys(limited.headers ?? {});
    expect(documented).toEqual(
      expect.arrayContaining(['RateLimit-Limit', 'RateLimit-Policy', 'RateLimit-Remaining', 'Retry-After']),
    );
    const key = (await gw.state.keys.create({ name: 'limits', scopes: [] })).key;
    let answer: RawResponse | undefined;
    for (let i = 0; i < 3; i++)
      answer = await request(gw.url, '/api/orders/1', { headers: { 'x-team-key': key } });
    expect(answer!.status).toBe(429);
    for (const header of documented) expect(answer!.headers[header.toLowerCase()], header).toBeDefined();
    expect(isProblem(answer!.json)).toBe(true);
    expect(answer!.json).toMatchObject({ code: 'GW_RATE_LIMITED' });
  });

  it("shares gw's problem+json as one Problem component, beside a service's own schema of that name, for 400/413/502/503/504 where they apply", async () => {
    expect(Object.keys(doc.components.schemas)).toEqual(['Problem']);
    expect(doc.components.schemas.Problem!.properties!.code!.enum).toEqual(
      expect.arrayContaining(['GW_RATE_LIMITED', 'GW_REQUEST_INVALID', 'GW_BODY_TOO_LARGE']),
    );
    // orders.yaml has a Problem of its own: its 404 keeps it, resolved in place (no clash).
    const own = operation('/api/orders/{orderId}', 'get').responses['404']!.content!['application/json']!
      .schema;
    expect(own.properties!.title!.enum).toEqual(['Not found']);
    for (const [p, method, op] of allOperations()) {
      for (const status of ['502', '503', '504']) {
        const ref = op.responses[status]!.$ref;
        expect(
          component(ref).content!['application/problem+json']!.schema,
          `${method} ${p} ${status}`,
        ).toEqual({
          $ref: '#/components/schemas/Problem',
        });
      }
      expect(op.responses['400'] !== undefined, `${method} ${p} 400`).toBe(p.startsWith('/api/orders'));
      expect(op.responses['413'] !== undefined, `${method} ${p} 413`).toBe(p === '/legacy');
    }
    // What the document says, gw answers.
    const key = (await gw.state.keys.create({ name: 'problems', scopes: [] })).key;
    const invalid = await request(gw.url, '/api/orders/abc', { headers: { 'x-team-key': key } });
    expect(invalid.status).toBe(400);
    expect(isProblem(invalid.json)).toBe(true);
    expect(invalid.json).toMatchObject({ code: 'GW_REQUEST_INVALID' });
    const big = await request(gw.url, '/legacy', { method: 'POST', body: 'x'.repeat(2048) });
    expect(big.status).toBe(413);
    expect(isProblem(big.json)).toBe(true);
    expect(big.json).toMatchObject({ code: 'GW_BODY_TOO_LARGE' });
  });

  it('answers only Hosts gw answers: the document and the docs page refuse a foreign Host', async () => {
    for (const target of ['/__gw/openapi.json', '/__gw/docs', '/__gw/docs/swagger-ui-bundle.js']) {
      const answer = await request(gw.url, target, { headers: { host: 'evil.example' } });
      expect(answer.status, target).toBe(403);
      expect(answer.json).toMatchObject({ code: 'GW_HOST_NOT_ALLOWED' });
    }
  });

  it('serves the docs page and every asset it names from gw itself, with their content types and a strict CSP', async () => {
    const page = await request(gw.url, '/__gw/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(page.body).not.toMatch(/https?:\/\//);
    expect(page.body).not.toMatch(/<script>/);
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    const types: Record<string, string> = {
      js: 'text/javascript; charset=utf-8',
      css: 'text/css; charset=utf-8',
      png: 'image/png',
    };
    for (const asset of assets) {
      expect(asset.startsWith('/__gw/docs/'), asset).toBe(true);
      const answer = await request(gw.url, asset);
      expect(answer.status, asset).toBe(200);
      expect(answer.headers['content-type'], asset).toBe(types[asset.split('.').at(-1)!]);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    }
    // The page's script loads this gateway's document.
    expect((await request(gw.url, '/__gw/docs/init.js')).body).toContain('/__gw/openapi.json');
    const other = await request(gw.url, '/__gw/docs/package.json');
    expect(other.status).toBe(404);
    expect(other.json).toMatchObject({ code: 'GW_ROUTE_NOT_FOUND' });
  });
});

describe('/__gw/openapi.json follows config loads', () => {
  it('is built once per load: a spec edit shows after the next reload, not before', async () => {
    const specs = await copySpecs();
    const ups = {
      orders: await startUpstream(),
      users: await startUpstream(),
      legacy: await startUpstream(),
    };
    const config = configOf(specs, ups);
    const gw = await startTestGateway(config);
    try {
      const first = await fetchDocument(gw);
      expect(Object.keys(parse<OpenApiDocument>(first.body).paths)).not.toContain('/people');
      // The users spec gains GET /users, which the /people route maps to /people.
      const file = path.join(specs, 'users-3.1.json');
      const spec = parse<{ paths: Record<string, unknown> }>(await readFile(file, 'utf8'));
      spec.paths['/users'] = {
        get: { operationId: 'listUsers', responses: { '200': { description: 'All' } } },
      };
      await writeFile(file, JSON.stringify(spec));
      const again = await fetchDocument(gw);
      expect(again.body).toBe(first.body);
      await gw.reload(config);
      const reloaded = parse<OpenApiDocument>((await fetchDocument(gw)).body);
      expect(reloaded.paths['/people']?.get?.operationId).toBe('users_listUsers');
      expect(reloaded.info.version).not.toBe(parse<OpenApiDocument>(first.body).info.version);
    } finally {
      await gw.close();
      await Promise.all(Object.values(ups).map((up) => up.close()));
      await rm(specs, { recursive: true, force: true });
    }
  });
});
