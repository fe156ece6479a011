import { existsSync, readdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { request } from '../helpers/http.js';
import { listeningLine, spawnGw } from '../helpers/gw-process.js';
import { configSource, createProject, repoRoot } from '../helpers/project.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

beforeAll(() => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
});

describe('gw dev --record / --replay', () => {
  it('records a remote API into DIR/<service>, then answers from it with the API gone', async () => {
    const up = await startUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': 'users-api' });
      res.end(JSON.stringify({ url: req.url, users: ['ada', 'grace'] }));
    });
    cleanup.push(() => up.close());
    const project = await createProject({
      'gateway.config.ts': configSource({ users: [up.url] }, [{ path: '/api', service: 'users' }]),
    });
    cleanup.push(() => project.cleanup());

    const recorder = spawnGw(['dev', '--no-dashboard', '--record', './fixtures'], { cwd: project.dir });
    cleanup.push(() => recorder.stop());
    const [, recordUrl] = await recorder.waitForOutput(listeningLine);
    const live = await request(recordUrl!, '/api/users?page=1');
    expect(live.status).toBe(200);
    // Sent without a Content-Length, the answer streamed to the client and is written as it ended.
    await waitFor(
      () =>
        existsSync(project.path('fixtures/users')) &&
        readdirSync(project.path('fixtures/users')).some((f) => f.endsWith('.json')),
    );
    await recorder.stop();
    await up.close();

    const files = await readdir(project.path('fixtures/users'));
    expect(files).toEqual([expect.stringMatching(/^GET-api_users-[0-9a-f]{10}\.json$/)]);
    const recording = JSON.parse(await readFile(project.path(`fixtures/users/${files[0]}`), 'utf8'));
    expect(recording.request).toMatchObject({ method: 'GET', path: '/api/users', query: [['page', '1']] });

    const replayer = spawnGw(['dev', '--no-dashboard', '--replay', './fixtures'], { cwd: project.dir });
    cleanup.push(() => replayer.stop());
    const [, replayUrl] = await replayer.waitForOutput(listeningLine);
    const replayed = await request(replayUrl!, '/api/users?page=1');
    expect(replayed.status).toBe(200);
    expect(replayed.body).toBe(live.body);
    expect(replayed.headers['x-served-by']).toBe('users-api');
    const missed = await request(replayUrl!, '/api/users?page=2');
    expect(missed.status).toBe(404);
    expect(missed.json).toMatchObject({
      code: 'GW_REPLAY_MISS',
      closest: [{ file: files[0], differs: ['query'] }],
    });
  });
});
