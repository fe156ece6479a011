import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detailLines } from '../../src/dashboard/detail-lines.js';
import { describeMarkers } from '../../src/dashboard/LiveRequests.js';
import type { RequestFinished } from '../../src/events/gateway-events.js';
import { spawnGw, type GwProcess } from '../helpers/gw-process.js';
import { request } from '../helpers/http.js';
import { createProject, repoRoot, type Project } from '../helpers/project.js';
import { useTestServers } from '../helpers/test-servers.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/**
 * Drift on validate.response 'warn' (issue 16, item 2): the answer is served as it came, and the
 * drift shows as a field of the JSON log line, gw_openapi_drift_total{route} on /__gw/metrics,
 * a marker in the dashboard's live list and the violations in its detail view.
 */

const spec = `openapi: 3.0.3
info: { title: Orders, version: "1" }
paths:
  /orders/{orderId}:
    get:
      operationId: getOrder
      parameters:
        - { name: orderId, in: path, required: true, schema: { type: integer } }
      responses:
        "200":
          description: the order
          content:
            application/json:
              schema:
                type: object
                required: [id, status]
                properties:
                  id: { type: integer }
                  status: { type: string, enum: [placed, shipped] }
`;

/** Order 1 as the spec says; any other order drifts (a string id, an unknown status). */
const answer = (url: string) => {
  const body = url === '/orders/1' ? { id: 1, status: 'placed' } : { id: 'two', status: 'lost' };
  return JSON.stringify(body);
};

let upstream: TestUpstream;
let project: Project;
let gw: GwProcess;
let base: string;

beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  upstream = await startUpstream((req, res) => {
    const body = answer(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  project = await createProject({
    'specs/orders.yaml': spec,
    'gateway.config.ts': `export default {
  services: { orders: { targets: ['${upstream.url}'], openapi: './specs/orders.yaml' } },
  routes: [{ name: 'orders', path: '/api/orders', service: 'orders', stripPrefix: '/api', validate: { response: 'warn' } }],
};
`,
  });
  gw = spawnGw(['dev', '--no-dashboard', '--port', '0', '--log-format', 'json'], { cwd: project.dir });
  const listening = await gw.waitForOutput(/"event":"listening","url":"(http:[^"]+)"/);
  base = listening[1]!;
});

afterAll(async () => {
  await gw?.stop();
  await project?.cleanup();
  await upstream?.close();
});

const { upstream: testUpstream, gateway } = useTestServers();

describe("OpenAPI drift on validate.response 'warn'", { timeout: 60_000 }, () => {
  it('serves the answer, logs the drift in the JSON line and counts it per route on /__gw/metrics', async () => {
    const good = await request(base, '/api/orders/1');
    expect(good.json).toEqual({ id: 1, status: 'placed' });
    const drifted = await request(base, '/api/orders/2');
    expect(drifted.status).toBe(200);
    expect(drifted.json).toEqual({ id: 'two', status: 'lost' });
    await request(base, '/api/orders/3');

    const line = await gw.waitForOutput(/^\{"time":[^\n]*"path":"\/api\/orders\/2"[^\n]*$/m);
    const logged = JSON.parse(line[0]) as { outcome: { drift?: unknown } };
    expect(logged.outcome.drift).toEqual({
      operation: 'GET /orders/{orderId}',
      violations: expect.arrayContaining([
        { location: 'response/body/id', expected: 'integer' },
        { location: 'response/body/status', expected: expect.stringContaining('placed') },
      ]),
    });
    const goodLine = await gw.waitForOutput(/^\{"time":[^\n]*"path":"\/api\/orders\/1"[^\n]*$/m);
    expect((JSON.parse(goodLine[0]) as { outcome: object }).outcome).not.toHaveProperty('drift');

    const metrics = await (await fetch(`${base}/__gw/metrics`)).text();
    expect(metrics).toContain('# TYPE gw_openapi_drift_total counter');
    expect(metrics).toContain('gw_openapi_drift_total{route="orders"} 2');
  });

  it("marks the request in the dashboard's live list and lists the violations in its detail view", async () => {
    const up = await testUpstream((req, res) => {
      const body = answer(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    const inProcess = await gateway({
      services: { orders: { targets: [up.url], openapi: project.path('specs/orders.yaml') } },
      routes: [
        { path: '/api/orders', service: 'orders', stripPrefix: '/api', validate: { response: 'warn' } },
      ],
    });
    await request(inProcess.url, '/api/orders/1');
    await request(inProcess.url, '/api/orders/2');
    const finished = inProcess.seen.filter((e): e is RequestFinished => e.type === 'request-finished');
    expect(finished).toHaveLength(2);
    const [clean, drifted] = finished as [RequestFinished, RequestFinished];

    expect(describeMarkers(clean.outcome)).not.toContain('drift');
    expect(describeMarkers(drifted.outcome).split(' ')).toContain('drift');

    const text = (request: RequestFinished) =>
      detailLines(request, undefined, undefined, request.at).map((line) => line.text);
    expect(text(clean).some((line) => line.startsWith('SPEC DRIFT'))).toBe(false);
    const lines = text(drifted);
    const at = lines.indexOf('SPEC DRIFT: the answer breaks GET /orders/{orderId} (served as it came)');
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 3).sort()).toEqual([
      '  response/body/id: integer',
      expect.stringMatching(/^ {2}response\/body\/status: .*placed/),
    ]);
  });
});
