import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listeningLine, runGw, spawnGw } from '../helpers/gw-process.js';
import { createProject, repoRoot, type Project } from '../helpers/project.js';
import { policyOrder } from '../../src/pipeline/policies.js';
import { policyKeysInOrder } from '../../src/cli/route-policies.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});
beforeAll(() => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
});

async function project(files: Record<string, string> = {}): Promise<Project> {
  const p = await createProject(files);
  cleanup.push(() => p.cleanup());
  return p;
}

const limitedConfig = `export default {
  rateLimit: { limit: 100, window: '1m' },
  services: { users: { targets: ['http://127.0.0.1:8001'] } },
  routes: [
    { path: '/api/users', service: 'users', stripPrefix: '/api', auth: 'apiKey' },
    { path: '/api/open', service: 'users', rateLimit: false },
    { path: '/api/tight', service: 'users', rateLimit: { limit: 5, window: '10s' } },
  ],
};
`;

describe('gw routes (issue 15)', { timeout: 60_000 }, () => {
  it('routes list shows stripPrefix and the limits a route inherits', async () => {
    const p = await project({ 'gateway.config.ts': limitedConfig });
    const result = await runGw(['routes', 'list'], { cwd: p.dir });
    expect(result.code).toBe(0);
    const line = (text: string) => result.stdout.split('\n').find((l) => l.includes(text)) ?? '';
    expect(line('/api/users')).toContain('stripPrefix /api, auth apiKey, rateLimit 100 per 1m (inherited)');
    expect(line('/api/open')).not.toContain('rateLimit');
    expect(line('/api/tight')).toContain('rateLimit 5 per 10s');
    expect(line('/api/tight')).not.toContain('inherited');

    const json = JSON.parse((await runGw(['routes', 'list', '--json'], { cwd: p.dir })).stdout) as Array<
      Record<string, unknown>
    >;
    expect(json[0]).toMatchObject({
      stripPrefix: '/api',
      policies: [
        { name: 'auth', detail: 'apiKey' },
        { name: 'rateLimit', detail: '100 per 1m', inherited: true },
      ],
    });
  });

  it('routes test says which policies will run, in order', async () => {
    const p = await project({ 'gateway.config.ts': limitedConfig });
    const result = await runGw(['routes', 'test', 'GET', '/api/users/7'], { cwd: p.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('  policies: auth apiKey → rateLimit 100 per 1m (inherited)');
    const open = await runGw(['routes', 'test', 'GET', '/api/open'], { cwd: p.dir });
    expect(open.stdout).toContain('  policies: none (forwarded as is)');
  });

  it('reads the policy order from the pipeline', () => {
    expect(policyKeysInOrder).toHaveLength(policyOrder.length);
    expect(policyKeysInOrder.slice(0, 4)).toEqual(['cors', 'auth', 'rateLimit', 'bodyLimit']);
    expect(policyKeysInOrder).toContain('use');
  });
});

describe('gw keys and gw token (issue 15)', { timeout: 60_000 }, () => {
  it('keys revoke on a revoked key says it was already revoked, without a second ✔', async () => {
    const p = await project({ 'gateway.config.ts': 'export default {};\n' });
    const created = JSON.parse(
      (await runGw(['keys', 'create', '--name', 'app', '--json'], { cwd: p.dir })).stdout,
    ) as {
      id: string;
    };
    const first = await runGw(['keys', 'revoke', created.id], { cwd: p.dir });
    expect(first.stdout).toContain(`✔ Revoked ${created.id}`);
    const second = await runGw(['keys', 'revoke', created.id], { cwd: p.dir });
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain('✔');
    expect(second.stdout).toContain(`${created.id} (app) was already revoked at`);
    const json = JSON.parse(
      (await runGw(['keys', 'revoke', created.id, '--json'], { cwd: p.dir })).stdout,
    ) as {
      alreadyRevoked: boolean;
    };
    expect(json.alreadyRevoked).toBe(true);
  });

  it("token rotate-key --alg RS256 names rotate-key's own help", async () => {
    const p = await project({ 'gateway.config.ts': 'export default {};\n' });
    const result = await runGw(['token', 'rotate-key', '--alg', 'RS256'], { cwd: p.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('GW_TOKEN_ARGUMENT');
    expect(result.stderr).toContain('gw token rotate-key --help');
    expect(result.stderr).not.toContain('gw token issue --help');
  });

  it('token verify says a just-expired token passes only inside the clock-skew allowance', async () => {
    const p = await project({ 'gateway.config.ts': 'export default {};\n' });
    const token = (
      await runGw(['token', 'issue', '--sub', 'me', '--ttl', '1s'], { cwd: p.dir })
    ).stdout.trim();
    // Wait until it has expired (exp is in whole seconds), well inside the 30 s allowance.
    const exp = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number })
      .exp;
    while (Date.now() < exp * 1000 + 1100) await new Promise((resolve) => setTimeout(resolve, 100));
    const result = await runGw(['token', 'verify', token], { cwd: p.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /expired \d+ s ago; accepted only because that is inside the 30 s clock-skew allowance/,
    );
    const json = JSON.parse((await runGw(['token', 'verify', token, '--json'], { cwd: p.dir })).stdout) as {
      clockSkew: { claim: string; allowanceSeconds: number };
    };
    expect(json.clockSkew).toMatchObject({ claim: 'exp', allowanceSeconds: 30 });
  });
});

describe('gw dev --demo (issue 15)', { timeout: 60_000 }, () => {
  async function demoRun(stateDir: string): Promise<{ key: string; token: string; stdout: string }> {
    const demo = spawnGw(['dev', '--demo', '--no-dashboard', '--port', '0', '--state-dir', stateDir], {
      cwd: repoRoot,
    });
    cleanup.push(() => demo.stop());
    await demo.waitForOutput(listeningLine);
    const [, key] = await demo.waitForOutput(/API key {2}(\S+)/);
    const [, token] = await demo.waitForOutput(/export TOKEN=(\S+)/);
    await demo.waitForOutput(/__gw\/health/);
    await demo.stop();
    return { key: key!, token: token!, stdout: demo.stdout() };
  }

  it('reuses the demo key and token in a --state-dir, and prints the token once', async () => {
    const p = await project();
    const stateDir = p.path('state');
    const first = await demoRun(stateDir);
    const second = await demoRun(stateDir);
    expect(second.key).toBe(first.key);
    expect(second.token).toBe(first.token);
    expect(second.stdout.split(second.token).length - 1).toBe(1);
    expect(second.stdout).toContain('-H "Authorization: Bearer $TOKEN"');
  });
});
