import { afterEach, describe, expect, it } from 'vitest';
import { createUpstreamRegistry } from '../../src/proxy/upstream-registry.js';
import type { Target, UpstreamPool, UpstreamRegistry } from '../../src/proxy/upstream-types.js';
import {
  freePort,
  get,
  pickInput,
  recordHealthEvents,
  service,
  sleep,
  startHealthUpstream,
} from './upstream-fixtures.js';
import type { HealthUpstream } from './upstream-fixtures.js';

let cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

function track<T extends UpstreamRegistry | HealthUpstream>(thing: T): T {
  cleanups.push(() => ('reopen' in thing ? thing.close().catch(() => {}) : thing.close()));
  return thing;
}

/** What the forwarder does around one request: pick, started, send, finished(outcome). */
async function send(pool: UpstreamPool): Promise<string | undefined> {
  const target = pool.pick(pickInput());
  if (!target) return undefined;
  pool.started(target);
  try {
    await get(`${target.key}/work`, target.agent);
    pool.finished(target, 'ok');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    pool.finished(target, code === 'ECONNREFUSED' ? 'connect-failed' : 'failed');
  }
  return target.key;
}

describe('passive health over real connections', () => {
  it('connect failures take a target out; after the cooldown one request brings it back', async () => {
    const up = track(await startHealthUpstream());
    const port = await freePort();
    const { events, seen } = recordHealthEvents();
    const registry = track(
      createUpstreamRegistry(
        {
          svc: service({
            targets: [up.url, `http://127.0.0.1:${port}`],
            // Long enough that the six requests below finish inside it on a busy machine (with
            // 100 ms a slow run sent one of them as the trial); the loop after waits it out.
            passiveHealth: { failures: 2, cooldown: 1_000 },
          }),
        },
        { events },
      ),
    );
    const pool = registry.get('svc')!;
    const down = pool.targets[1] as Target;

    for (let i = 0; i < 4; i++) await send(pool);
    expect(down.healthy).toBe(false);
    expect(down.reason).toMatch(/2 connect failures in a row/);
    expect(seen).toMatchObject([{ target: down.key, healthy: false }]);

    // While it is out, every request goes to the live target.
    for (let i = 0; i < 6; i++) expect(await send(pool)).toBe(up.url);

    const back = track(await startHealthUpstream('127.0.0.1', port));
    // Keep sending: once the cooldown is over, one of these is the trial that brings it back.
    const deadline = Date.now() + 5_000;
    while (!down.healthy && Date.now() < deadline) {
      await send(pool);
      await sleep(10);
    }
    expect(down.healthy).toBe(true);
    expect(back.hits).toContain('/work');
    expect(seen.map((event) => event.healthy)).toEqual([false, true]);
    expect(seen[1]!.reason).toMatch(/succeeded after the cooldown/);
  });
});

describe('half-open (timing on a test clock)', () => {
  const urls = ['http://127.0.0.1:7001', 'http://127.0.0.1:7002'];
  let clock = 0;

  function setup() {
    clock = 0;
    const { events, seen } = recordHealthEvents();
    const registry = track(
      createUpstreamRegistry(
        { svc: service({ targets: urls, timeout: 1_000, passiveHealth: { failures: 3, cooldown: 500 } }) },
        { events, now: () => clock },
      ),
    );
    const pool = registry.get('svc')!;
    const [a, b] = pool.targets as [Target, Target];
    const failB = (times: number) => {
      for (let i = 0; i < times; i++) {
        pool.started(b);
        pool.finished(b, 'connect-failed');
      }
    };
    const picksOfB = (count: number) =>
      Array.from({ length: count }, () => pool.pick(pickInput())).filter((t) => t === b).length;
    return { pool, a, b, seen, failB, picksOfB };
  }

  it('counts connect failures in a row: a success resets the count, other failures do not count', () => {
    const { pool, b, failB } = setup();
    failB(2);
    pool.started(b);
    pool.finished(b, 'ok');
    failB(2);
    // Connected but failed later, or the client gave up: says nothing about connecting.
    pool.started(b);
    pool.finished(b, 'failed');
    expect(b.healthy).toBe(true);
    failB(1);
    expect(b.healthy).toBe(false);
  });

  it('lets exactly one request try after the cooldown; a failed trial starts a new cooldown', () => {
    const { pool, b, seen, failB, picksOfB } = setup();
    failB(3);
    expect(picksOfB(20)).toBe(0);
    clock = 499;
    expect(picksOfB(20)).toBe(0);
    clock = 500;
    expect(picksOfB(20)).toBe(1);
    pool.started(b);
    pool.finished(b, 'connect-failed');
    expect(b.healthy).toBe(false);
    clock = 999;
    expect(picksOfB(20)).toBe(0);
    clock = 1_000;
    expect(picksOfB(20)).toBe(1);
    pool.started(b);
    pool.finished(b, 'ok');
    expect(b.healthy).toBe(true);
    expect(picksOfB(20)).toBe(10);
    expect(seen.map((event) => event.healthy)).toEqual([false, true]);
  });

  it('an undecided trial (client abort) lets the next request try', () => {
    const { pool, b, failB, picksOfB } = setup();
    failB(3);
    clock = 500;
    expect(picksOfB(4)).toBe(1);
    pool.started(b);
    pool.finished(b, 'failed');
    expect(b.healthy).toBe(false);
    expect(picksOfB(4)).toBe(1);
  });

  it('a trial that never reports back stops blocking after the timeout', () => {
    const { failB, picksOfB } = setup();
    failB(3);
    clock = 500;
    expect(picksOfB(4)).toBe(1);
    clock = 500 + 1_999;
    expect(picksOfB(4)).toBe(0);
    clock = 500 + 2_000;
    expect(picksOfB(4)).toBe(1);
  });

  it('answers undefined while every target is out, and the trial when one cools down', () => {
    const { pool, a, b, failB } = setup();
    failB(3);
    for (let i = 0; i < 3; i++) {
      pool.started(a);
      pool.finished(a, 'connect-failed');
    }
    expect(pool.pick(pickInput())).toBeUndefined();
    clock = 500;
    const trial = pool.pick(pickInput());
    expect([a, b]).toContain(trial);
  });
});
