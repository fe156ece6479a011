import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/dev/start-dev-server.js';
import type { GatewayEvent } from '../../src/events/gateway-events.js';
import { request } from '../helpers/http.js';
import { createProject, type Project } from '../helpers/project.js';
import { startUpstream, waitFor, type TestUpstream } from '../helpers/upstream.js';

/**
 * Spec files hot-reload like the config (issue 16, item 5): saving the spec, or a file it
 * `$ref`s, rebuilds the validators; a spec that no longer parses is rejected and the last good
 * one keeps serving.
 */

const spec = (extraPath = '') => `openapi: 3.0.3
info: { title: Orders, version: "1" }
paths:
  /orders:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: "./schemas.yaml#/Order" }
      responses:
        "201": { description: placed }
${extraPath}`;

const schemas = (minimum: number) => `Order:
  type: object
  required: [qty]
  properties:
    qty: { type: integer, minimum: ${minimum} }
`;

let upstream: TestUpstream;
let project: Project;
let gw: DevServer;
const seen: GatewayEvent[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
  project = await createProject({
    'specs/orders.yaml': spec(),
    'specs/schemas.yaml': schemas(1),
    'gateway.config.ts': `export default {
  services: { orders: { targets: ['${upstream.url}'], openapi: './specs/orders.yaml' } },
  routes: [{ path: '/api/orders', service: 'orders', stripPrefix: '/api', validate: { request: true } }],
};
`,
  });
  gw = await startDevServer({
    cwd: project.dir,
    port: 0,
    host: '127.0.0.1',
    dashboard: false,
    logFormat: 'json',
    stateDir: project.path('.gw'),
  });
  gw.gateway.events.subscribe((event) => seen.push(event));
});

afterAll(async () => {
  await gw?.close();
  await project?.cleanup();
  await upstream?.close();
});

const reloads = () => seen.filter((event) => event.type === 'config-loaded' && !event.initial).length;
const rejections = () =>
  seen.filter(
    (event): event is Extract<GatewayEvent, { type: 'config-rejected' }> => event.type === 'config-rejected',
  );

const post = (path: string, qty: number) =>
  request(gw.gateway.url, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ qty }),
  });

describe('OpenAPI spec hot reload', { timeout: 60_000 }, () => {
  it('reloads when a $ref-ed file or the spec is saved, and keeps the last good spec on a broken one', async () => {
    const refused = await post('/api/orders', 0);
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({
      code: 'GW_REQUEST_INVALID',
      violations: [{ location: 'body/qty' }],
    });

    // The file the spec $refs: qty may now be 0.
    await project.renameSave('specs/schemas.yaml', schemas(0));
    await waitFor(() => reloads() === 1, 15_000);
    expect((await post('/api/orders', 0)).status).toBe(200);
    expect(upstream.requests.at(-1)).toMatchObject({ method: 'POST', url: '/orders', body: '{"qty":0}' });

    // The spec itself: a new path is no longer 404 GW_OPERATION_NOT_FOUND.
    expect((await post('/api/orders/bulk', 1)).json).toMatchObject({ code: 'GW_OPERATION_NOT_FOUND' });
    await project.write(
      'specs/orders.yaml',
      spec(`  /orders/bulk:
    post:
      responses:
        "201": { description: placed }
`),
    );
    await waitFor(() => reloads() === 2, 15_000);
    expect((await post('/api/orders/bulk', 1)).status).toBe(200);

    // A broken $ref-ed file: rejected with the spec's code, the last good spec keeps serving.
    await project.write('specs/schemas.yaml', 'Order: [\n  unclosed\n');
    await waitFor(() => rejections().length === 1, 15_000);
    expect(rejections()[0]!.error.code).toBe('GW_OPENAPI_INVALID');
    expect(rejections()[0]!.error.problems[0]!.path).toBe(`${project.path('specs/schemas.yaml')}:3:1`);
    expect((await post('/api/orders', 0)).status).toBe(200);
    expect((await post('/api/orders/bulk', 1)).status).toBe(200);

    // Fixed again: loads.
    await project.write('specs/schemas.yaml', schemas(1));
    await waitFor(() => reloads() === 3, 15_000);
    expect((await post('/api/orders', 0)).status).toBe(400);
  });
});
