import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/upstream.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function gatewayTo(handler: http.RequestListener): Promise<TestGateway> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as { port: number };
  const gw = await startTestGateway({
    services: { s: { targets: [`http://127.0.0.1:${port}`] } },
    routes: [{ path: '/api', service: 's' }],
  });
  cleanup.push(() => gw.close());
  return gw;
}

describe('bodies stream both ways', () => {
  it('the client gets the first chunk of an answer before the upstream has finished it', async () => {
    let finish: (() => void) | undefined;
    const gw = await gatewayTo((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk\n');
      finish = () => res.end('last chunk\n');
    });
    const url = new URL(gw.url);
    const chunks: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      http
        .get({ host: url.hostname, port: url.port, path: '/api/stream', agent: false }, (res) => {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => chunks.push(chunk));
          res.on('end', resolve);
          res.on('error', reject);
        })
        .on('error', reject);
    });
    await waitFor(() => chunks.join('') === 'first chunk\n');
    finish!();
    await done;
    expect(chunks.join('')).toBe('first chunk\nlast chunk\n');
  });

  it('the upstream gets the first chunk of a request body before the client has finished it', async () => {
    let received = '';
    const gw = await gatewayTo((req, res) => {
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (received += chunk));
      req.on('end', () => res.end(`got ${received.length} bytes`));
    });
    const url = new URL(gw.url);
    const answer = new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, path: '/api/upload', method: 'POST', agent: false },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      req.write('part one;');
      void waitFor(() => received === 'part one;').then(() => req.end('part two'), reject);
    });
    expect(await answer).toBe('got 17 bytes');
  });

  it('a large body passes intact both ways', async () => {
    const gw = await gatewayTo((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      req.pipe(res);
    });
    const payload = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4096) payload.writeUInt32BE(i, i);
    const res = await fetch(`${gw.url}/api/echo`, { method: 'POST', body: payload });
    const echoed = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(echoed.length).toBe(payload.length);
    expect(echoed.equals(payload)).toBe(true);
  });
});
