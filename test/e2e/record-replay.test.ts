import type http from 'node:http';
import { gzipSync } from 'node:zlib';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { isGatewayError } from '../../src/errors.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import type { UpstreamHandler } from '../helpers/upstream.js';
import { useTestServers } from '../helpers/test-servers.js';
import { freePort, request } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';

const { cleanup, upstream, gateway } = useTestServers();

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request whose answer body stays bytes (binary and gzip answers must compare byte for byte). */
async function send(
  base: string,
  target: string,
  options: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string } = {},
): Promise<Answer> {
  const { status, headers, bytes } = await request(base, target, options);
  return { status, headers, body: bytes };
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-fixtures-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const binary = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7 + 3) % 256));
const prettyJson = '{\n  "id": 42,\n  "name": "Ada"\n}';

/** An upstream with JSON, pretty JSON, binary, gzip, a POST and a Set-Cookie among its answers. */
const api: UpstreamHandler = (req, res, body) => {
  const url = new URL(req.url ?? '/', 'http://upstream');
  switch (url.pathname) {
    case '/users':
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-page': url.searchParams.get('page') ?? '',
      });
      res.end(JSON.stringify({ users: [{ id: 1 }], page: url.searchParams.get('page') }));
      return;
    case '/users/42':
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'set-cookie': 'sid=s3cr3t-session; Path=/',
      });
      res.end(prettyJson);
      return;
    case '/avatar.png':
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(binary);
      return;
    case '/report':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      res.end(gzipSync('a compressed report\n'));
      return;
    case '/orders':
      res.writeHead(201, { 'content-type': 'application/json', location: '/orders/7' });
      res.end(JSON.stringify({ created: JSON.parse(body) as unknown, id: 7 }));
      return;
    default:
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`no ${url.pathname}`);
  }
};

const secrets = {
  bearer: 'bearer-s3cr3t',
  cookie: 'cookie-s3cr3t',
  apiKey: 'key-s3cr3t',
  query: 'query-s3cr3t',
};

const exchanges: Array<[string, { method?: string; headers?: http.OutgoingHttpHeaders; body?: string }]> = [
  [`/api/users?page=2&api_key=${secrets.query}`, { headers: { authorization: `Bearer ${secrets.bearer}` } }],
  ['/api/users/42', { headers: { cookie: `session=${secrets.cookie}`, 'x-api-key': secrets.apiKey } }],
  ['/api/avatar.png', {}],
  ['/api/report', { headers: { 'accept-encoding': 'gzip' } }],
  [
    '/api/orders',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"item":"book","qty":2}' },
  ],
  ['/api/missing', {}],
];

function service(targets: string[], extra: Record<string, unknown>): GatewayConfigInput {
  return {
    services: { users: { targets, passiveHealth: { failures: 1000, cooldown: '1m' }, ...extra } },
    routes: [{ path: '/api', service: 'users', stripPrefix: '/api' }],
  };
}

const finished = (gw: TestGateway) => gw.seen.filter((e) => e.type === 'request-finished');

async function recordAll(dir: string): Promise<Answer[]> {
  const up = await upstream(api);
  const recorder = await gateway(service([up.url], { record: dir }));
  const answers: Answer[] = [];
  for (const [target, options] of exchanges) answers.push(await send(recorder.url, target, options));
  // An answer sent without a Content-Length streams to the client and is written as it ends.
  await waitFor(
    async () =>
      (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.json')).length === exchanges.length,
  );
  await up.close();
  return answers;
}

describe('record and replay', () => {
  it('records every answer into readable files, then replays them byte for byte with the upstream gone', async () => {
    const dir = path.join(await tempDir(), 'users');
    const recorded = await recordAll(dir);
    expect(recorded.map((a) => a.status)).toEqual([200, 200, 200, 200, 201, 404]);

    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(exchanges.length);
    for (const file of files) expect(file).toMatch(/^(GET|POST)-[A-Za-z0-9._-]+-[0-9a-f]{10}\.json$/);
    expect(files.some((f) => f.startsWith('GET-api_users_42-'))).toBe(true);
    const user = JSON.parse(
      await readFile(
        path.join(
          dir,
          files.find((f) => f.startsWith('GET-api_users-'))!,
        ),
        'utf8',
      ),
    );
    expect(user.request).toMatchObject({
      method: 'GET',
      path: '/api/users',
      query: [
        ['page', '2'],
        ['api_key', '[redacted]'],
      ],
    });
    expect(user.response).toMatchObject({
      status: 200,
      body: { encoding: 'json', data: { users: [{ id: 1 }], page: '2' } },
    });
    const avatar = JSON.parse(
      await readFile(
        path.join(
          dir,
          files.find((f) => f.startsWith('GET-api_avatar.png-'))!,
        ),
        'utf8',
      ),
    );
    expect(avatar.response.body).toEqual({ encoding: 'base64', data: binary.toString('base64') });

    // The upstream is closed: every answer comes from the files.
    const replayer = await gateway(service([`http://127.0.0.1:${await freePort()}`], { replay: dir }));
    for (const [i, [target, options]] of exchanges.entries()) {
      const again = await send(replayer.url, target, options);
      const before = recorded[i]!;
      expect(again.status).toBe(before.status);
      expect(again.body.equals(before.body)).toBe(true);
      for (const name of ['content-type', 'content-encoding', 'location', 'x-page'])
        expect(again.headers[name]).toBe(before.headers[name]);
    }
    expect(finished(replayer).every((e) => e.outcome.answeredBy === 'replay')).toBe(true);
  });

  it('keeps Authorization, Cookie, Set-Cookie, X-API-Key and query tokens out of the files, and does not replay a redacted Set-Cookie', async () => {
    const dir = await tempDir();
    await recordAll(path.join(dir, 'users'));
    const names = await readdir(path.join(dir, 'users'));
    const text = (await Promise.all(names.map((n) => readFile(path.join(dir, 'users', n), 'utf8')))).join(
      '\n',
    );
    for (const secret of [...Object.values(secrets), 's3cr3t-session']) expect(text).not.toContain(secret);
    expect(text).toContain('"authorization": "Bearer [redacted]"');
    expect(text).toContain('"x-api-key": "[redacted]"');
    expect(text).toContain('"set-cookie"');

    const replayer = await gateway(
      service([`http://127.0.0.1:${await freePort()}`], { replay: path.join(dir, 'users') }),
    );
    const user = await send(replayer.url, '/api/users/42');
    expect(user.body.toString()).toBe(prettyJson);
    expect(user.headers['set-cookie']).toBeUndefined();
  });

  it('answers a miss with 404 GW_REPLAY_MISS naming the closest recordings and what differs', async () => {
    const dir = path.join(await tempDir(), 'users');
    await recordAll(dir);
    const replayer = await gateway(service([`http://127.0.0.1:${await freePort()}`], { replay: dir }));
    const missed = await send(replayer.url, '/api/users?page=3');
    expect(missed.status).toBe(404);
    expect(missed.headers['content-type']).toContain('application/problem+json');
    const problem = JSON.parse(missed.body.toString()) as {
      code: string;
      closest: Array<{ file: string; differs: string[] }>;
    };
    expect(problem.code).toBe('GW_REPLAY_MISS');
    expect(problem.closest[0]).toEqual({
      file: expect.stringMatching(/^GET-api_users-/),
      differs: ['query'],
    });
    const posted = await send(replayer.url, '/api/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"item":"pen","qty":2}',
    });
    const postMiss = JSON.parse(posted.body.toString()) as typeof problem;
    expect(postMiss.code).toBe('GW_REPLAY_MISS');
    expect(postMiss.closest).toHaveLength(3);
    expect(postMiss.closest[0]).toEqual({
      file: expect.stringMatching(/^POST-api_orders-/),
      differs: ['body'],
    });
  });

  it('matches ignoring the query and body fields named in ignoreQuery and ignoreBody; JSON key order does not matter', async () => {
    const dir = path.join(await tempDir(), 'users');
    const up = await upstream(api);
    const options = { dir, ignoreQuery: ['ts'], ignoreBody: ['meta.sentAt'] };
    const recorder = await gateway(
      service([up.url], { record: dir, replay: { ...options, onMiss: 'forward' } }),
    );
    await send(recorder.url, '/api/users?page=1&ts=100');
    const order = { method: 'POST', headers: { 'content-type': 'application/json' } };
    await send(recorder.url, '/api/orders', { ...order, body: '{"item":"cup","meta":{"sentAt":1}}' });
    await waitFor(
      async () => (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.json')).length === 2,
      10_000,
      'two recordings',
    );
    await up.close();

    const replayer = await gateway(service([`http://127.0.0.1:${await freePort()}`], { replay: options }));
    const users = await send(replayer.url, '/api/users?ts=999&page=1');
    expect(users.status).toBe(200);
    expect(JSON.parse(users.body.toString())).toEqual({ users: [{ id: 1 }], page: '1' });
    const posted = await send(replayer.url, '/api/orders', {
      ...order,
      body: '{"meta":{"sentAt":2},"item":"cup"}',
    });
    expect(posted.status).toBe(201);
    expect((await send(replayer.url, '/api/users?ts=1&page=2')).status).toBe(404);
  });

  it("sends misses to the upstream with onMiss: 'forward' (and records them), hits never reach it", async () => {
    const dir = path.join(await tempDir(), 'users');
    await recordAll(dir);
    const live = await upstream(api);
    const gw = await gateway(service([live.url], { record: dir, replay: { dir, onMiss: 'forward' } }));
    expect((await send(gw.url, '/api/users/42')).status).toBe(200);
    expect(live.requests).toHaveLength(0);
    const missed = await send(gw.url, '/api/users?page=9');
    expect(missed.status).toBe(200);
    expect(missed.headers['x-page']).toBe('9');
    expect(live.requests.map((r) => r.url)).toEqual(['/users?page=9']);
    // Recorded on the way: the next identical request is a hit.
    await send(gw.url, '/api/users?page=9');
    expect(live.requests).toHaveLength(1);
  });

  it("answers from recordings with fallback: 'replay' only while the upstream is down", async () => {
    const dir = path.join(await tempDir(), 'users');
    const up = await upstream(api);
    const config = service([up.url], { record: dir, fallback: 'replay' });
    const gw = await gateway(config);
    const first = await send(gw.url, '/api/users?page=1');
    expect(first.status).toBe(200);
    expect(finished(gw)[0]!.outcome.answeredBy).toBeUndefined();
    // Up: the upstream answers even though a recording exists.
    await send(gw.url, '/api/users?page=1');
    expect(up.requests).toHaveLength(2);

    await up.close();
    const down = await send(gw.url, '/api/users?page=1');
    expect(down.status).toBe(200);
    expect(down.body.equals(first.body)).toBe(true);
    const outcome = finished(gw).at(-1)!.outcome;
    expect(outcome.answeredBy).toBe('replay');
    expect(outcome.reason).toContain('GW_UPSTREAM_UNREACHABLE');
    // Nothing recorded for this one: the failure goes to the client as it was.
    const never = await send(gw.url, '/api/users?page=5');
    expect(never.status).toBe(502);
    expect(JSON.parse(never.body.toString()).code).toBe('GW_UPSTREAM_UNREACHABLE');
  });

  it('refuses a folder holding a broken recording at config load (GW_REPLAY_FILE_INVALID), naming the file', async () => {
    const dir = path.join(await tempDir(), 'users');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'GET-x-0000000000.json'), '{ not json');
    const failure = await startTestGateway(service(['http://127.0.0.1:1'], { replay: dir })).catch(
      (e: unknown) => e,
    );
    expect(isGatewayError(failure) && failure.code).toBe('GW_REPLAY_FILE_INVALID');
    expect(isGatewayError(failure) && failure.file).toBe(path.join(dir, 'GET-x-0000000000.json'));
  });

  it('keeps replaying from the last good folder when a reload meets a recording that is not one', async () => {
    const dir = path.join(await tempDir(), 'users');
    await recordAll(dir);
    const config = service([`http://127.0.0.1:${await freePort()}`], { replay: dir });
    const gw = await gateway(config);
    await writeFile(path.join(dir, 'GET-y-0000000000.json'), JSON.stringify({ request: { method: 'GET' } }));
    const failure = await gw.reload(config).catch((e: unknown) => e);
    expect(isGatewayError(failure) && failure.code).toBe('GW_REPLAY_FILE_INVALID');
    const still = await send(gw.url, '/api/users/42');
    expect(still.status).toBe(200);
    expect(still.body.toString()).toBe(prettyJson);
  });

  it("refuses fallback: 'replay' on a service with no recordings folder (GW_CONFIG_INVALID)", async () => {
    const failure = await startTestGateway(service(['http://127.0.0.1:1'], { fallback: 'replay' })).catch(
      (e: unknown) => e,
    );
    expect(isGatewayError(failure) && failure.code).toBe('GW_CONFIG_INVALID');
    expect(isGatewayError(failure) && failure.problems[0]?.path).toBe('services.users.fallback');
  });
});
