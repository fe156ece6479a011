import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listeningLine, spawnGw, type GwProcess } from '../helpers/gw-process.js';
import { freePort, request } from '../helpers/http.js';
import { configSource, createProject, repoRoot, type Project } from '../helpers/project.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});
beforeAll(() => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
});

async function devWithDeadTarget(): Promise<{ gw: GwProcess; url: string; dead: string; project: Project }> {
  const dead = `http://127.0.0.1:${await freePort()}`;
  const project = await createProject({
    'gateway.config.ts': configSource({ catalog: [dead] }, [{ path: '/api', service: 'catalog' }]),
  });
  cleanup.push(() => project.cleanup());
  const gw = spawnGw(['dev'], { cwd: project.dir });
  cleanup.push(() => gw.stop());
  const [, url] = await gw.waitForOutput(listeningLine);
  return { gw, url: url!, dead, project };
}

describe('gw dev with a target nothing listens on (issue 15)', { timeout: 60_000 }, () => {
  it('warns at start that the target refuses connections', async () => {
    const { gw, dead } = await devWithDeadTarget();
    const [line] = await gw.waitForOutput(
      new RegExp(`⚠ target ${dead} of catalog does not accept connections \\(ECONNREFUSED\\).*`),
    );
    expect(line).toContain('502');
  });

  it('reports the never-checked target as unknown, not ok, in /__gw/health', async () => {
    const { url, dead } = await devWithDeadTarget();
    const health = await request(url, '/__gw/health');
    expect(health.json).toMatchObject({
      status: 'unknown',
      services: { catalog: { state: 'unknown', targets: [{ url: dead, state: 'unknown', healthy: false }] } },
    });
    expect(health.json!.status).not.toBe('ok');
  });

  it("puts the error code on a 502's log line", async () => {
    const { gw, url } = await devWithDeadTarget();
    expect((await request(url, '/api/health')).status).toBe(502);
    const [line] = await gw.waitForOutput(/^.*GET\s+\/api\/health 502 .*$/m);
    expect(line).toContain('GW_UPSTREAM_UNREACHABLE');
  });
});
