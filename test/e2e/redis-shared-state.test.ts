import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnGw, runGw, listeningLine, type GwProcess } from '../helpers/gw-process.js';
import { request } from '../helpers/http.js';
import { createProject } from '../helpers/project.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/**
 * Several real `gw dev` processes (`node bin/gw.js`, needs `npm run build`), each in a folder of
 * its own (so nothing can be shared through a .gw/ folder), all naming one real redis-server.
 */

let redis: TestRedis;
let up: TestUpstream;
let prefixes = 0;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  redis = await startTestRedis();
  up = await startUpstream();
});
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});
afterAll(async () => {
  await up?.close();
  await redis?.stop();
});

interface Instance {
  url: string;
  process: GwProcess;
  configFile: string;
  /** `gw <args> --config <this instance's config>` as a real process. */
  cli(...args: string[]): ReturnType<typeof runGw>;
}

function configFor(redisUrl: string, prefix: string, state: Record<string, unknown> = {}) {
  return {
    port: 0,
    state: { store: 'redis', url: redisUrl, prefix, ...state },
    services: { api: { targets: [up.url] } },
    routes: [
      { name: 'limited', path: '/limited', service: 'api', rateLimit: { limit: 10, window: '1h' } }, // GCRA: a new request every 6 min, never within one test
      { name: 'busy', path: '/busy', service: 'api', rateLimit: { limit: 100_000, window: '1m' } },
      { name: 'keyed', path: '/keyed', service: 'api', auth: 'apiKey', rateLimit: false },
      { name: 'tokened', path: '/tokened', service: 'api', auth: 'jwt', rateLimit: false },
      { name: 'cached', path: '/cached', service: 'api', cache: { ttl: '10m' }, rateLimit: false },
    ],
  };
}

async function startInstance(config: object): Promise<Instance> {
  const project = await createProject({ 'gateway.config.json': JSON.stringify(config, null, 2) });
  const configFile = project.path('gateway.config.json');
  const gw = spawnGw(['dev', '--config', configFile, '--port', '0', '--no-dashboard'], { cwd: project.dir });
  cleanup.push(async () => {
    await gw.stop();
    await project.cleanup();
  });
  const [, url] = await gw.waitForOutput(listeningLine);
  return {
    url: url!,
    process: gw,
    configFile,
    cli: (...args) => runGw([...args, '--config', configFile], { cwd: project.dir }),
  };
}

/** Two or three gateways on one Redis prefix. */
async function startInstances(count: number, state: Record<string, unknown> = {}, redisUrl = redis.url) {
  const prefix = `e${++prefixes}:`;
  const instances = await Promise.all(
    Array.from({ length: count }, () => startInstance(configFor(redisUrl, prefix, state))),
  );
  return { instances, prefix };
}

async function statusOf(url: string, init?: RequestInit): Promise<number> {
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return res.status;
}

/** Polls until `check` holds; returns how long it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

describe('gateways sharing one Redis', () => {
  it('pass exactly 10 of 100 parallel requests spread over two instances against a limit of 10', async () => {
    const { instances } = await startInstances(2);
    const before = up.requests.length;
    const statuses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => statusOf(`${instances[i % 2]!.url}/limited`)),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(90);
    expect(up.requests.length - before).toBe(10);
    // Both instances tell the same budget.
    for (const instance of instances) {
      const res = await fetch(`${instance.url}/limited`);
      expect(res.status).toBe(429);
      expect(res.headers.get('ratelimit-limit')).toBe('10');
      expect(res.headers.get('ratelimit-remaining')).toBe('0');
      expect(res.headers.get('ratelimit-policy')).toBe('10;w=3600');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      await res.arrayBuffer();
    }
  });

  it('accept a key created through the CLI on every instance, and refuse it everywhere within a second of a revoke', async () => {
    const { instances } = await startInstances(2);
    const [a, b] = instances as [Instance, Instance];
    const created = await a.cli('keys', 'create', '--name', 'mobile-app', '--json');
    expect(created.code).toBe(0);
    const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
    const withKey = { headers: { 'x-api-key': key } };
    for (const instance of [a, b])
      await within(1000, async () => (await statusOf(`${instance.url}/keyed`, withKey)) === 200);

    // Revoked through the other instance's config: both refuse it within a second.
    const revoked = await b.cli('keys', 'revoke', id);
    expect(revoked.code).toBe(0);
    for (const instance of [a, b]) {
      expect(
        await within(1000, async () => (await statusOf(`${instance.url}/keyed`, withKey)) === 401),
      ).toBeLessThan(1000);
    }
    const listed = await a.cli('keys', 'list', '--json');
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ id, name: 'mobile-app', status: 'revoked' }),
    ]);
  });

  it('verify a token minted through one config on every instance, also after rotate-key', async () => {
    const { instances } = await startInstances(2);
    const [a, b] = instances as [Instance, Instance];
    const first = (await a.cli('token', 'issue', '--sub', 'user123')).stdout.trim();
    const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    for (const instance of [a, b])
      await within(1000, async () => (await statusOf(`${instance.url}/tokened`, bearer(first))) === 200);

    const rotated = await b.cli('token', 'rotate-key', '--alg', 'ES256', '--json');
    expect(rotated.code).toBe(0);
    const { kid } = JSON.parse(rotated.stdout) as { kid: string };
    const second = JSON.parse((await a.cli('token', 'issue', '--sub', 'user456', '--json')).stdout) as {
      token: string;
      kid: string;
    };
    expect(second.kid).toBe(kid);
    for (const instance of [a, b]) {
      await within(
        1000,
        async () => (await statusOf(`${instance.url}/tokened`, bearer(second.token))) === 200,
      );
      // The old token stays valid after the rotation.
      expect(await statusOf(`${instance.url}/tokened`, bearer(first))).toBe(200);
      const jwks = (await (await fetch(`${instance.url}/.well-known/jwks.json`)).json()) as {
        keys: Array<{ kid: string }>;
      };
      expect(jwks.keys.map((k) => k.kid)).toContain(kid);
    }
    expect(await statusOf(`${a.url}/tokened`, bearer(`${second.token.slice(0, -4)}AAAA`))).toBe(401);
  });

  it('share the response cache: an answer stored through one instance is a hit on the other', async () => {
    const { instances } = await startInstances(2);
    const [a, b] = instances as [Instance, Instance];
    const path = `/cached/item?n=${Date.now()}`;
    const before = up.requests.length;
    // Instances behind one name (as behind a load balancer): the Host is part of the cache key.
    const sameHost = { headers: { host: 'api.localhost' } };
    const first = await request(a.url, path, sameHost);
    expect(first.headers['x-cache']).toBe('MISS');
    const second = await request(b.url, path, sameHost);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body).toBe(first.body);
    expect(up.requests.length - before).toBe(1);
  });

  it('fail to start with GW_STORE_UNREACHABLE naming the URL when Redis is not there', async () => {
    const project = await createProject({
      'gateway.config.json': JSON.stringify(configFor('redis://127.0.0.1:1', 'x:')),
    });
    cleanup.push(() => project.cleanup());
    const dev = await runGw(
      ['dev', '--config', project.path('gateway.config.json'), '--port', '0', '--no-dashboard'],
      { cwd: project.dir },
    );
    expect(dev.code).not.toBe(0);
    expect(dev.stderr).toContain('GW_STORE_UNREACHABLE');
    expect(dev.stderr).toContain('redis://127.0.0.1:1');
    const keys = await runGw(['keys', 'list', '--config', project.path('gateway.config.json')], {
      cwd: project.dir,
    });
    expect(keys.code).not.toBe(0);
    expect(keys.stderr).toContain('GW_STORE_UNREACHABLE');
  });

  it('leave no key without an expiry except the key and signing-key records', async () => {
    // Runs after the tests above wrote counters, keys, revocations, usage and signing keys.
    const client = new Redis(redis.url);
    try {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'COUNT', 500);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      expect(keys.some((key) => key.includes(':rl:'))).toBe(true);
      expect(keys.some((key) => key.includes(':cache:'))).toBe(true);
      const immortal: string[] = [];
      for (const key of keys) if ((await client.pttl(key)) === -1) immortal.push(key);
      expect(immortal.length).toBeGreaterThan(0);
      // Records, not caches: an API key or signing key must not vanish on a timer.
      for (const key of immortal) expect(key).toMatch(/^e\d+:(keys|keys:revoked|keys:usage|signing-keys)$/);
    } finally {
      client.disconnect();
    }
  });
});

describe('gateways when Redis goes away mid-load', () => {
  it('keep answering (allow), refuse limited routes with 503 (deny), warn, and limit again once Redis is back', async () => {
    const own = await startTestRedis();
    cleanup.push(() => own.stop());
    const { instances } = await startInstances(2, {}, own.url);
    const [deny] = (await startInstances(1, { onStoreError: 'deny' }, own.url)).instances as [Instance];
    const targets = [...instances.map((i) => `${i.url}/busy`)];

    // Answers by phase, e.g. 'down 200': 'down' runs from the kill until Redis answers again.
    const seen = new Map<string, number>();
    let phase = 'up';
    let stop = false;
    const load = async () => {
      // Bounded: stops when told (also when the test fails), and after 5,000 requests per worker.
      for (let n = 0; !stop && n < 5_000; n++) {
        const status = await statusOf(targets[n % targets.length]!).catch((error: Error) => error.message);
        const key = `${phase} ${status}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    };
    const workers = Array.from({ length: 4 }, load);
    // Each phase lasts until it has seen answers, not for a fixed time: a loaded machine is slow.
    const answered = (key: string, count: number) =>
      within(20_000, async () => (seen.get(key) ?? 0) >= count);
    try {
      await answered('up 200', 10);
      await own.kill();
      phase = 'down';
      await answered('down 200', 11);
      const denied = await fetch(`${deny.url}/limited`);
      expect(denied.status).toBe(503);
      expect(((await denied.json()) as { code: string }).code).toBe('GW_STORE_UNAVAILABLE');
      await own.restart();
      phase = 'back';
      await answered('back 200', 10);
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    // Every request got an answer from an upstream: no errors, no 5xx, throughout.
    expect([...seen.keys()].sort()).toEqual(['back 200', 'down 200', 'up 200']);
    expect(seen.get('down 200')).toBeGreaterThan(10);

    for (const instance of [...instances, deny]) {
      // Whichever notices first (the lost connection, or a failed check) warns once, naming Redis.
      await instance.process.waitForOutput(/⚠ .*Redis at redis:\/\/127\.0\.0\.1:\d+.*Meanwhile/);
      await instance.process.waitForOutput(/is back/, 10_000);
    }
    // Limits recover: the shared budget is exact again (Redis restarted empty).
    await within(5000, async () => (await statusOf(`${instances[0]!.url}/limited`)) === 200);
    const statuses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => statusOf(`${instances[i % 2]!.url}/limited`)),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(9);
    expect(statuses.filter((s) => s === 429)).toHaveLength(51);
  });
});
