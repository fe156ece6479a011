import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { Ajv, type AnySchemaObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { useTestServers } from '../helpers/test-servers.js';
import { request } from '../helpers/http.js';
import type { RequestView } from '../../src/observe/inspect/request-view.js';
import type { HarEntryWithBodies } from '../../src/observe/inspect/har-bodies.js';

const { upstream, gateway } = useTestServers();
const require = createRequire(import.meta.url);
const run = promisify(execFile);

/** The HAR 1.2 JSON Schema from the `har-schema` package (draft-06), compiled with ajv. */
function harValidator() {
  const schemas = require('har-schema') as Record<string, AnySchemaObject>;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as AnySchemaObject);
  for (const schema of Object.values(schemas)) ajv.addSchema(schema);
  return ajv.getSchema('har.json#')!;
}

async function detail(base: string, id: string): Promise<RequestView> {
  const shown = await request(base, `/__gw/requests/${encodeURIComponent(id)}`);
  expect(shown.status, shown.body).toBe(200);
  return JSON.parse(shown.body) as RequestView;
}

const secrets = ['bearer-s3cr3t', 'cookie-s3cr3t', 'key-s3cr3t', 'pw-s3cr3t', 'nested-s3cr3t', 'set-s3cr3t'];

describe('inspect: bodies kept with the last requests', () => {
  it('shows request and answer bodies at /__gw/requests/:id, pretty JSON, credentials and named fields masked', async () => {
    const up = await upstream((_req, res, body) => {
      const answer = JSON.stringify({
        ok: true,
        got: JSON.parse(body) as unknown,
        session: { token: 'nested-s3cr3t' },
      });
      res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': 'sid=set-s3cr3t; HttpOnly' });
      res.end(answer);
    });
    const gw = await gateway({
      inspect: { bodies: true, redact: ['password', 'token'] },
      services: { api: { targets: [up.url] } },
      routes: [{ path: '/api', service: 'api' }],
    });
    const sent = await request(gw.url, '/api/login', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': 'login-1',
        authorization: 'Bearer bearer-s3cr3t',
        cookie: 'sid=cookie-s3cr3t',
        'x-api-key': 'key-s3cr3t',
      },
      body: JSON.stringify({ user: 'ada', password: 'pw-s3cr3t', deep: [{ token: 'nested-s3cr3t' }] }),
    });
    expect(sent.status).toBe(201);

    const list = await request(gw.url, '/__gw/requests');
    expect(list.json?.requests).toEqual([
      expect.objectContaining({ id: 'login-1', method: 'POST', path: '/api/login', status: 201 }),
    ]);

    const view = await detail(gw.url, 'login-1');
    expect(view.request.body).toMatchObject({ mimeType: 'application/json', truncated: false });
    expect(JSON.parse(view.request.body!.text!)).toEqual({
      user: 'ada',
      password: '[redacted]',
      deep: [{ token: '[redacted]' }],
    });
    // Pretty-printed for reading.
    expect(view.request.body!.text).toContain('\n  "user": "ada"');
    expect(JSON.parse(view.response.body!.text!)).toMatchObject({
      ok: true,
      got: { password: '[redacted]' },
      session: { token: '[redacted]' },
    });
    expect(view.request.headers).toContainEqual(['authorization', 'Bearer [redacted]']);
    expect(view.request.headers).toContainEqual(['cookie', 'sid=[redacted]']);
    expect(view.request.headers).toContainEqual(['x-api-key', '[redacted]']);
    expect(view.response.headers).toContainEqual(['set-cookie', 'sid=[redacted]; HttpOnly']);
    const everything = JSON.stringify(view);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    // The upstream got the real values: masking is for showing only.
    expect(up.requests[0]!.body).toContain('pw-s3cr3t');
  });

  it('keeps the first maxBodyBytes of a long body and says it was cut', async () => {
    const long = 'x'.repeat(5000);
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(long);
    });
    const gw = await gateway({
      inspect: { bodies: true, maxBodyBytes: '1kb' },
      services: { api: { targets: [up.url] } },
      routes: [{ path: '/api', service: 'api' }],
    });
    await request(gw.url, '/api/upload', {
      method: 'PUT',
      headers: { 'content-type': 'text/plain', 'x-request-id': 'cut-1' },
      body: 'y'.repeat(3000),
    });
    const view = await detail(gw.url, 'cut-1');
    expect(view.request.body).toMatchObject({ size: 3000, keptBytes: 1024, truncated: true });
    expect(view.request.body!.text).toBe('y'.repeat(1024));
    expect(view.response.body).toMatchObject({ size: 5000, keptBytes: 1024, truncated: true });
  });

  it.each([
    ['gzip', (bytes: Buffer) => zlib.gzipSync(bytes)],
    ['br', (bytes: Buffer) => zlib.brotliCompressSync(bytes)],
    ['deflate', (bytes: Buffer) => zlib.deflateSync(bytes)],
  ])('decodes a %s answer for display, still masking named fields', async (coding, encode) => {
    const plain = Buffer.from(JSON.stringify({ items: [1, 2, 3], token: 'nested-s3cr3t' }));
    const encoded = encode(plain);
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding });
      res.end(encoded);
    });
    const gw = await gateway({
      inspect: { bodies: true, redact: ['token'] },
      services: { api: { targets: [up.url] } },
      routes: [{ path: '/api', service: 'api' }],
    });
    const got = await request(gw.url, '/api/items', { headers: { 'x-request-id': `enc-${coding}` } });
    // The client got the encoded bytes untouched.
    expect(got.bytes.equals(encoded)).toBe(true);
    const view = await detail(gw.url, `enc-${coding}`);
    expect(view.response.body).toMatchObject({ decoded: coding, size: encoded.length });
    expect(JSON.parse(view.response.body!.text!)).toEqual({ items: [1, 2, 3], token: '[redacted]' });
  });

  it('keeps the bodies within maxTotalBytes, letting the oldest go first', async () => {
    const up = await upstream((_req, res, body) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(body);
    });
    const gw = await gateway({
      inspect: { bodies: true, maxBodyBytes: '1kb', maxTotalBytes: '8kb' },
      services: { api: { targets: [up.url] } },
      routes: [{ path: '/api', service: 'api' }],
    });
    for (let i = 0; i < 40; i++) {
      await request(gw.url, '/api/echo', {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'x-request-id': `m-${i}` },
        body: String(i % 10).repeat(1000),
      });
    }
    const list = await request(gw.url, '/__gw/requests?last=40');
    const bodies = list.json?.bodies as { keptBytes: number; keptRequests: number; maxTotalBytes: number };
    expect(bodies.maxTotalBytes).toBe(8192);
    expect(bodies.keptBytes).toBeLessThanOrEqual(8192);
    // Each request keeps 2000 bytes (1000 each way): four fit.
    expect(bodies).toMatchObject({ keptBytes: 8000, keptRequests: 4 });
    const newest = await detail(gw.url, 'm-39');
    expect(newest.request.body!.text).toBe('9'.repeat(1000));
    const oldest = await detail(gw.url, 'm-0');
    expect(oldest.request.body).toMatchObject({ size: 1000, keptBytes: 0, truncated: true });
    expect(oldest.request.body!.text).toBeUndefined();
  });

  it('exports HAR with bodies (postData, content.text, base64 for binary) that validates and holds the redactions', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10]);
    const up = await upstream((req, res) => {
      if (req.url === '/img') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(png);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"token":"nested-s3cr3t","n":1}');
    });
    const gw = await gateway({
      inspect: { bodies: true, redact: ['password', 'token'] },
      services: { api: { targets: [up.url] } },
      routes: [{ path: '/', service: 'api' }],
    });
    await request(gw.url, '/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer bearer-s3cr3t' },
      body: 'user=ada&password=pw-s3cr3t',
    });
    await request(gw.url, '/img');
    const exported = await request(gw.url, '/__gw/har?last=2');
    const har = JSON.parse(exported.body) as { log: { entries: HarEntryWithBodies[] } };
    const validate = harValidator();
    expect(validate(har), JSON.stringify(validate.errors)).toBe(true);
    const [login, img] = har.log.entries;
    expect(login!.request.postData).toMatchObject({
      mimeType: 'application/x-www-form-urlencoded',
      text: 'user=ada&password=[redacted]',
    });
    expect(JSON.parse(login!.response.content.text!)).toEqual({ token: '[redacted]', n: 1 });
    expect(img!.response.content).toMatchObject({
      encoding: 'base64',
      mimeType: 'image/png',
      size: png.length,
    });
    expect(Buffer.from(img!.response.content.text!, 'base64').equals(png)).toBe(true);
    for (const secret of secrets) expect(exported.body).not.toContain(secret);
  });

  it('gives a curl command that, run with curl against gw, makes the same upstream request', async () => {
    const up = await upstream();
    const gw = await gateway({
      inspect: { bodies: true },
      services: { api: { targets: [up.url] } },
      routes: [{ path: '/api', service: 'api' }],
    });
    await request(gw.url, "/api/orders?page=2&q=it's", {
      method: 'PATCH',
      headers: {
        'content-type': 'application/json',
        'x-request-id': 'curl-1',
        'x-team': 'a "quoted" value',
        accept: 'application/json',
        'user-agent': 'inspect-test/1',
      },
      body: JSON.stringify({ name: "O'Brien", lines: ['a\nb'] }),
    });
    const view = await detail(gw.url, 'curl-1');
    expect(view.curl).toMatch(/^curl -X PATCH /);
    await run('sh', ['-c', view.curl!]);
    expect(up.requests).toHaveLength(2);
    const [first, again] = up.requests;
    expect(again!.method).toBe(first!.method);
    expect(again!.url).toBe(first!.url);
    expect(again!.body).toBe(first!.body);
    // Every header the upstream got the first time comes again with the same value (the
    // forwarding headers gw adds included; the request id too, since the client sent it), but
    // the trace context: each request starts a trace of its own.
    const { traceparent: _one, ...firstHeaders } = first!.headers;
    const { traceparent: _two, ...againHeaders } = again!.headers;
    expect(againHeaders).toEqual(firstHeaders);
    expect(Object.keys(firstHeaders).length).toBeGreaterThan(8);
  });

  it('refuses /__gw/requests to a page of another origin, and answers 404 for an unknown id', async () => {
    const gw = await gateway({
      inspect: { bodies: true },
      routes: [{ path: '/m', mock: { json: { a: 1 } } }],
    });
    await request(gw.url, '/m', { headers: { 'x-request-id': 'mock-1' } });
    const foreign = await request(gw.url, '/__gw/requests', { headers: { origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.json?.code).toBe('GW_ORIGIN_NOT_ALLOWED');
    const unknown = await request(gw.url, '/__gw/requests/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.json?.code).toBe('GW_ROUTE_NOT_FOUND');
    // A mocked answer is written from memory: it is kept as well.
    const mocked = await detail(gw.url, 'mock-1');
    expect(JSON.parse(mocked.response.body!.text!)).toEqual({ a: 1 });
  });

  it('keeps no bodies when the config leaves inspect.bodies out of the programmatic API', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { api: { targets: [up.url] } },
      routes: [{ path: '/api', service: 'api' }],
    });
    await request(gw.url, '/api/x', { method: 'POST', body: 'hello', headers: { 'x-request-id': 'off-1' } });
    const view = await detail(gw.url, 'off-1');
    expect(view.request.body).toBeUndefined();
    expect(view.response.body).toBeUndefined();
    expect(view.curl).toBeUndefined();
  });
});
