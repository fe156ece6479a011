import { createRequire } from 'node:module';
import { Ajv, type AnySchemaObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { useTestServers } from '../helpers/test-servers.js';
import { request } from '../helpers/http.js';
import type { HarEntry } from '../../src/observe/har-log.js';

const { upstream, gateway } = useTestServers();
const require = createRequire(import.meta.url);

/** The HAR 1.2 JSON Schema from the `har-schema` package (draft-06), compiled once with ajv. */
function harValidator() {
  const schemas = require('har-schema') as Record<string, AnySchemaObject>;
  // har-schema uses draft-06 and a few annotations of its own (`optional`, `min`): not strict.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as AnySchemaObject);
  for (const schema of Object.values(schemas)) ajv.addSchema(schema);
  return ajv.getSchema('har.json#')!;
}

describe('HAR export', () => {
  it('exports the last requests as HAR 1.2 that validates against the HAR schema, with credentials redacted', async () => {
    const up = await upstream();
    const gw = await gateway({
      services: { api: { targets: [up.url] } },
      routes: [{ path: '/api', service: 'api' }],
    });
    await request(gw.url, '/api/first');
    await request(gw.url, '/api/users?page=2&access_token=tok-s3cr3t', {
      headers: {
        authorization: 'Bearer bearer-s3cr3t',
        cookie: 'sid=cookie-s3cr3t',
        'x-api-key': 'key-s3cr3t',
      },
    });
    await request(gw.url, '/api/orders', {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });

    const exported = await request(gw.url, '/__gw/har?last=2');
    expect(exported.status).toBe(200);
    expect(exported.headers['content-type']).toBe('application/json');
    const har = exported.json as { log: { version: string; entries: HarEntry[] } };
    const validate = harValidator();
    expect(validate(har), JSON.stringify(validate.errors)).toBe(true);
    expect(har.log.version).toBe('1.2');
    expect(har.log.entries.map((e) => [e.request.method, new URL(e.request.url).pathname])).toEqual([
      ['GET', '/api/users'],
      ['POST', '/api/orders'],
    ]);
    const [users, orders] = har.log.entries;
    expect(users!.request.queryString).toEqual([
      { name: 'page', value: '2' },
      { name: 'access_token', value: '[redacted]' },
    ]);
    expect(users!.request.headers).toContainEqual({ name: 'authorization', value: 'Bearer [redacted]' });
    expect(users!.response).toMatchObject({
      status: 200,
      statusText: 'OK',
      content: { mimeType: 'application/json' },
    });
    expect(orders!.request.bodySize).toBe(7);
    for (const secret of ['tok-s3cr3t', 'bearer-s3cr3t', 'cookie-s3cr3t', 'key-s3cr3t'])
      expect(exported.body).not.toContain(secret);
  });

  it('refuses a last= that is not a count with 400 GW_BAD_REQUEST', async () => {
    const gw = await gateway({ routes: [{ path: '/m', mock: { json: 1 } }] });
    const refused = await request(gw.url, '/__gw/har?last=ten');
    expect(refused.status).toBe(400);
    expect(refused.json?.code).toBe('GW_BAD_REQUEST');
    const empty = await request(gw.url, '/__gw/har');
    expect(empty.json).toMatchObject({ log: { version: '1.2', entries: [] } });
  });
});
