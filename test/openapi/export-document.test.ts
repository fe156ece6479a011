import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { buildGatewayDocument } from '../../src/openapi/export/export-document.js';
import { schemaTo31 } from '../../src/openapi/export/schema-to-3-1.js';
import { useTestServers } from '../helpers/test-servers.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const { upstream, gateway } = useTestServers();

interface Operation {
  description?: string;
  operationId: string;
  parameters?: Array<{ name: string; in: string }>;
}
type Paths = Record<string, Record<string, Operation>>;

/** The document of a real built gateway for these routes (two services with specs, one without). */
async function documentOf(routes: GatewayConfigInput['routes']): Promise<{ paths: Paths }> {
  const up = await upstream();
  const gw = await gateway({
    services: {
      orders: { targets: [up.url], openapi: path.join(fixtures, 'orders.yaml') },
      broken: { targets: [up.url], openapi: path.join(fixtures, 'broken-ref.yaml') },
      plain: { targets: [up.url] },
    },
    routes,
  });
  return JSON.parse(JSON.stringify(buildGatewayDocument(gw.current()))) as { paths: Paths };
}

const methodsByPath = (paths: Paths) =>
  Object.fromEntries(Object.entries(paths).map(([p, item]) => [p, Object.keys(item).sort()]));

describe('the exported document: routes to gateway paths', () => {
  it("maps a route's `:param` and a rewrite that drops it, and declares the gateway's own path parameter", async () => {
    const { paths } = await documentOf([
      { path: '/t/:tenant/orders', service: 'orders', rewrite: { from: '^/t/[^/]+', to: '' } },
    ]);
    expect(methodsByPath(paths)).toEqual({
      '/t/{tenant}/orders': ['get', 'post'],
      '/t/{tenant}/orders/{orderId}': ['delete', 'get'],
    });
    expect(paths['/t/{tenant}/orders/{orderId}']!.get!.parameters!.map((p) => `${p.in}/${p.name}`)).toEqual([
      'path/orderId',
      'path/tenant',
    ]);
  });

  it("leaves out the spec's operations a route does not serve: its methods, and paths a more specific route takes", async () => {
    const { paths } = await documentOf([
      { path: '/api', service: 'orders', stripPrefix: '/api', methods: ['GET'] },
      { path: '/api/orders/:id', service: 'plain' },
    ]);
    expect(methodsByPath(paths)).toEqual({
      '/api/orders': ['get'],
      '/api/orders/{id}': ['delete', 'get', 'patch', 'post', 'put'],
    });
    expect(paths['/api/orders/{id}']!.get!.description).toContain('forwarded to service plain');
  });

  it('documents a route generically when its rewrite cannot be read backwards, or its spec does not load', async () => {
    const { paths } = await documentOf([
      { path: '/v2', service: 'orders', rewrite: { from: '^/v2/(.*)$', to: '/orders/$1' }, methods: ['GET'] },
      { path: '/b', service: 'broken', methods: ['GET'] },
    ]);
    expect(methodsByPath(paths)).toEqual({ '/v2': ['get'], '/b': ['get'] });
    expect(paths['/v2']!.get!.description).toContain('forwarded to service orders');
    expect(paths['/b']!.get!.description).toContain('GW_OPENAPI_INVALID');
  });

  it('gives every operation a unique operationId when two routes serve the same spec', async () => {
    const { paths } = await documentOf([
      { path: '/a', service: 'orders', stripPrefix: '/a' },
      { path: '/b', service: 'orders', rewrite: { from: '^/b', to: '' } },
    ]);
    expect(Object.keys(paths).sort()).toEqual([
      '/a/orders',
      '/a/orders/{orderId}',
      '/b/orders',
      '/b/orders/{orderId}',
    ]);
    const ids = Object.values(paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['orders_listOrders', 'orders_listOrders_2']));
  });
});

describe('OpenAPI 3.0 schemas in the 3.1 document', () => {
  it.each([
    [{ type: 'string', nullable: true }, { type: ['string', 'null'] }],
    [{ type: 'string', nullable: false }, { type: 'string' }],
    [
      { type: 'string', enum: ['a'], nullable: true },
      { type: ['string', 'null'], enum: ['a', null] },
    ],
    [
      { allOf: [{ type: 'object' }], nullable: true },
      { anyOf: [{ allOf: [{ type: 'object' }] }, { type: 'null' }] },
    ],
    [
      { type: 'integer', minimum: 1, exclusiveMinimum: true },
      { type: 'integer', exclusiveMinimum: 1 },
    ],
    [
      { type: 'integer', maximum: 9, exclusiveMaximum: false },
      { type: 'integer', maximum: 9 },
    ],
    [
      { type: 'object', properties: { a: { type: 'array', items: { type: 'number', nullable: true } } } },
      { type: 'object', properties: { a: { type: 'array', items: { type: ['number', 'null'] } } } },
    ],
  ])('%j becomes %j', (input, expected) => {
    expect(schemaTo31(input)).toEqual(expected);
  });
});
