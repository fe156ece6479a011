import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { request } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';
import type { UpstreamHandler } from '../helpers/upstream.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../openapi/fixtures');
const { upstream, gateway } = useTestServers();

/** An upstream that answers GET /orders/{id} with whatever JSON and status the test gives it. */
const answering =
  (status: number, body: unknown): UpstreamHandler =>
  (_req, res) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

async function checked(mode: 'warn' | 'enforce', handler: UpstreamHandler) {
  const up = await upstream(handler);
  return gateway({
    services: { orders: { targets: [up.url], openapi: path.join(fixtures, 'orders.yaml') } },
    routes: [{ path: '/api/orders', service: 'orders', stripPrefix: '/api', validate: { response: mode } }],
  });
}

const good = { id: 7, status: 'placed', items: [{ sku: 'A1', qty: 1 }] };
const drifted = { id: '7', status: 'lost', items: [{ sku: 'A1' }] };
const finished = (gw: Awaited<ReturnType<typeof checked>>) =>
  gw.seen.filter((e) => e.type === 'request-finished').at(-1);

describe('OpenAPI response checks', () => {
  it('enforce: serves an answer that matches, 502 GW_RESPONSE_INVALID for one that drifts', async () => {
    const ok = await checked('enforce', answering(200, good));
    const served = await request(ok.url, '/api/orders/7');
    expect(served.status).toBe(200);
    expect(served.json).toEqual(good);

    const gw = await checked('enforce', answering(200, drifted));
    const refused = await request(gw.url, '/api/orders/7');
    expect(refused.status).toBe(502);
    expect(refused.json).toMatchObject({ code: 'GW_RESPONSE_INVALID', operation: 'GET /orders/{orderId}' });
    const locations = (refused.json!.violations as Array<{ location: string }>).map((v) => v.location).sort();
    expect(locations).toEqual(['response/body/id', 'response/body/items/0/qty', 'response/body/status']);
  });

  it('enforce: a status the operation does not list is refused', async () => {
    const gw = await checked('enforce', answering(500, { oops: true }));
    const refused = await request(gw.url, '/api/orders/7');
    expect(refused.status).toBe(502);
    expect(refused.json).toMatchObject({ violations: [{ location: 'response/status' }] });
  });

  it("warn: serves the drifting answer as it came and notes the drift in the request's outcome", async () => {
    const gw = await checked('warn', answering(200, drifted));
    const served = await request(gw.url, '/api/orders/7');
    expect(served.status).toBe(200);
    expect(served.json).toEqual(drifted);
    expect(finished(gw)).toMatchObject({
      outcome: { reason: expect.stringContaining('response/body/status') },
    });
  });
});
