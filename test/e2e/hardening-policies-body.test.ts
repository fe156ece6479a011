import { once } from 'node:events';
import type http from 'node:http';
import type { Transform } from 'node:stream';
import { constants, createBrotliCompress, createDeflate, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { request } from '../helpers/http.js';
import { useTestServers } from '../helpers/test-servers.js';
import type { TestUpstream, UpstreamHandler } from '../helpers/upstream.js';

const { upstream, gateway } = useTestServers();

const MB = 1024 * 1024;

/** ~1 MB of gzip that inflates to 1 GB of zeros: 64 gzip members of 16 MB each, concatenated (RFC 1952 §2.2). */
function gzipBomb(): Buffer {
  const member = gzipSync(Buffer.alloc(16 * MB), { level: 9 });
  return Buffer.concat(Array.from({ length: 64 }, () => member));
}

/** A stream-compressed bomb: `megabytes` of zeros through `encoder`, fed 1 MB at a time. */
async function streamBomb(encoder: Transform, megabytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
  const zeros = Buffer.alloc(MB);
  for (let i = 0; i < megabytes; i++) if (!encoder.write(zeros)) await once(encoder, 'drain');
  encoder.end();
  await once(encoder, 'end');
  return Buffer.concat(chunks);
}

const bombs: Array<[string, () => Promise<Buffer>]> = [
  ['gzip', async () => gzipBomb()],
  ['deflate', () => streamBomb(createDeflate({ level: 9 }), 256)],
  ['br', () => streamBomb(createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }), 256)],
];

function transformRoutes(up: TestUpstream, side: 'request' | 'response'): GatewayConfigInput {
  return {
    services: { app: { targets: [up.url] } },
    routes: [
      {
        path: '/api',
        service: 'app',
        transform: { [side]: { body: { omit: ['secret'] } }, maxBodySize: '4mb' },
      },
      { path: '/plain', service: 'app' },
    ],
  };
}

const rssMb = () => process.memoryUsage().rss / MB;

describe('decompression bombs', () => {
  it('a 1 MB gzip request body that inflates to 1 GB gets 413 while another route keeps answering', async () => {
    const up = await upstream();
    const gw = await gateway(transformRoutes(up, 'request'));
    const bomb = gzipBomb();
    expect(bomb.length).toBeLessThan(2 * MB);
    const before = rssMb();
    const [bombed, plain] = await Promise.all([
      request(gw.url, '/api', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: bomb as unknown as string,
      }),
      request(gw.url, '/plain'),
    ]);
    expect(bombed.status).toBe(413);
    expect(bombed.headers['content-type']).toBe('application/problem+json');
    expect(bombed.json!.code).toBe('GW_BODY_TOO_LARGE');
    expect(plain.status).toBe(200);
    expect(up.requests.map((r) => r.url)).toEqual(['/plain']);
    // Inflating stops at the cap (10 MB by default), nowhere near the 1 GB the bomb holds.
    expect(rssMb() - before).toBeLessThan(300);
  });

  it.each(bombs)('a %s request bomb gets 413 and never reaches the upstream', async (coding, make) => {
    const up = await upstream();
    const gw = await gateway(transformRoutes(up, 'request'));
    const res = await request(gw.url, '/api', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': coding },
      body: (await make()) as unknown as string,
    });
    expect(res.status).toBe(413);
    expect(res.json!.code).toBe('GW_BODY_TOO_LARGE');
    expect(up.requests).toHaveLength(0);
  });

  it.each(bombs)('a %s bomb answered by the upstream gets 502', async (coding, make) => {
    const bomb = await make();
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding });
      res.end(bomb);
    });
    const gw = await gateway(transformRoutes(up, 'response'));
    const [bombed, plain] = await Promise.all([request(gw.url, '/api'), request(gw.url, '/plain')]);
    expect(bombed.status).toBe(502);
    expect(bombed.json!.code).toBe('GW_UPSTREAM_BAD_RESPONSE');
    expect(plain.status).toBe(200);
  });

  it('a compressed body that inflates within the cap is still transformed', async () => {
    const up = await upstream();
    const gw = await gateway(transformRoutes(up, 'request'));
    const body = JSON.stringify({ keep: 'x'.repeat(3 * MB), secret: 's' });
    const res = await request(gw.url, '/api', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(body) as unknown as string,
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(up.requests[0]!.body)).toEqual({ keep: 'x'.repeat(3 * MB) });
  });
});

describe('deeply nested JSON', () => {
  const deep = '['.repeat(200_000) + ']'.repeat(200_000);

  it('a 200k-deep request body gets 400 GW_BODY_INVALID_JSON, not a 500 blaming the transform', async () => {
    const up = await upstream();
    const gw = await gateway(transformRoutes(up, 'request'));
    const res = await request(gw.url, '/api', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: deep,
    });
    expect(res.status).toBe(400);
    expect(res.json!.code).toBe('GW_BODY_INVALID_JSON');
    expect(up.requests).toHaveLength(0);
  });

  it('a 200k-deep upstream answer gets 502 GW_UPSTREAM_INVALID_JSON', async () => {
    const handler: UpstreamHandler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' } satisfies http.OutgoingHttpHeaders);
      res.end(deep);
    };
    const up = await upstream(handler);
    const gw = await gateway(transformRoutes(up, 'response'));
    const res = await request(gw.url, '/api');
    expect(res.status).toBe(502);
    expect(res.json!.code).toBe('GW_UPSTREAM_INVALID_JSON');
  });

  it('JSON nested as deep as real APIs go (100 levels) is transformed as before', async () => {
    const up = await upstream();
    const gw = await gateway(transformRoutes(up, 'request'));
    const nested = '{"a":'.repeat(100) + '{"secret":1,"k":2}' + '}'.repeat(100);
    const res = await request(gw.url, '/api', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: nested,
    });
    expect(res.status).toBe(200);
    expect(up.requests[0]!.body).toBe(nested);
  });
});
