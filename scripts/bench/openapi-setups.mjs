// Issue 16's row: request validation against an OpenAPI operation on a route with a 1 KB JSON
// POST body, against the same route and spec with validation off (`openapi-plain`). The
// validators are compiled once per config load; what a request pays is parsing and checking.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { load } from './processes.mjs';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

/** The spec of the bench route (`/orders/{id}` upstream, after stripPrefix /api). */
const spec = {
  openapi: '3.0.3',
  info: { title: 'Bench orders', version: '1' },
  paths: {
    '/orders/{id}': {
      post: {
        operationId: 'updateOrder',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } },
        },
        responses: { 200: { description: 'updated' } },
      },
    },
  },
  components: {
    schemas: {
      Order: {
        type: 'object',
        required: ['customer', 'items'],
        properties: {
          customer: {
            type: 'object',
            required: ['id', 'email'],
            properties: { id: { type: 'string' }, email: { type: 'string', format: 'email' } },
          },
          items: { type: 'array', maxItems: 100, items: { $ref: '#/components/schemas/Item' } },
          note: { type: 'string', maxLength: 500 },
        },
      },
      Item: {
        type: 'object',
        required: ['sku', 'qty', 'price'],
        properties: {
          sku: { type: 'string', pattern: '^[A-Z]{2}-[0-9]{4}$' },
          qty: { type: 'integer', minimum: 1 },
          price: { type: 'number', minimum: 0 },
          tags: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

/** A valid order of about 1 KB. */
function orderBody() {
  const items = [];
  const order = { customer: { id: 'c-1042', email: 'ada@example.com' }, items, note: '' };
  for (let i = 0; JSON.stringify(order).length < 940; i++) {
    items.push({ sku: `AB-${String(1000 + i)}`, qty: 1 + (i % 5), price: 9.99 + i, tags: ['blue', 'large'] });
  }
  order.note = 'n'.repeat(1024 - JSON.stringify(order).length);
  return JSON.stringify(order);
}

export function openapiSetups({ startGw, fourRoutes }) {
  const body = orderBody();
  const headers = { 'content-type': 'application/json' };
  const row = async (ctx, id, policies) => {
    const specFile = path.join(ctx.workDir, `${id}-orders.json`);
    await writeFile(specFile, JSON.stringify(spec));
    const config = fourRoutes(ctx.upUrl, { stripPrefix: '/api', ...policies });
    config.services.up.openapi = specFile;
    const gw = await startGw(ctx, id, config);
    // The row measures what it says only if a valid body passes and a bad one is refused.
    const post = (text) => fetch(gw.url, { method: 'POST', headers, body: text }).then((r) => r.status);
    const notes = [];
    if ((await post(body)) !== 200) notes.push('the 1 KB order was not answered 200');
    const bad = await post(body.replace('"qty":1', '"qty":0'));
    if (policies.validate && bad !== 400) notes.push(`a bad order got ${bad}, expected 400`);
    return {
      url: gw.url,
      pid: gw.pid,
      notes,
      load: (seconds) => load(gw.url, headers, seconds, CONNECTIONS, gw.pid, { method: 'POST', body }),
    };
  };
  return [
    {
      id: 'openapi-plain',
      name: 'gw, POST of a 1 KB JSON body, the service has a spec, validation off',
      prepare: (ctx) => row(ctx, 'openapi-plain', {}),
    },
    {
      id: 'openapi-validate',
      name: 'gw, POST of a 1 KB JSON body, validate.request against the OpenAPI operation',
      target: { of: 'openapi-plain', rps: 0.85 },
      prepare: (ctx) => row(ctx, 'openapi-validate', { validate: { request: true } }),
    },
  ];
}
