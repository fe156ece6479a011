import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { repoRoot } from '../helpers/project.js';
import { useTestServers } from '../helpers/test-servers.js';

const templatesDir = path.join(repoRoot, 'templates');

async function configFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return configFiles(full);
      return Promise.resolve(/^gateway\.config\.(ts|mts|js|mjs|json|ya?ml)$/.test(entry.name) ? [full] : []);
    }),
  );
  return nested.flat();
}

describe('templates', () => {
  it('every config in templates/ loads and validates', async () => {
    const files = await configFiles(templatesDir);
    expect(files.map((f) => path.relative(templatesDir, f)).sort()).toEqual([
      'demo/gateway.config.ts',
      'gateway.config.ts',
    ]);
    for (const file of files) {
      const loaded = await loadConfig({ file });
      expect(loaded.config.routes.length).toBeGreaterThan(0);
    }
  });

  const servers = useTestServers();

  it('the gw init template is the seed design and serves its four routes', async () => {
    const { config } = await loadConfig({ file: path.join(templatesDir, 'gateway.config.ts') });
    expect(config.port).toBe(8080);
    expect(Object.keys(config.services)).toEqual(['users', 'orders', 'payments']);
    expect(config.routes.map((r) => `${r.methods?.join(',')} ${r.path} → ${r.service}`)).toEqual([
      'GET /api/health → users',
      'GET /api/users → users',
      'POST /api/orders → orders',
      'POST /api/payments → payments',
    ]);
    // The same config with its targets moved to upstreams on free ports (8001–8004 may be taken).
    const ups = await Promise.all([0, 1, 2, 3].map(() => servers.upstream()));
    const [u1, u2, orders, payments] = ups.map((u) => u.url) as [string, string, string, string];
    const moved: GatewayConfigInput = {
      services: {
        users: { targets: [u1, u2] },
        orders: { targets: [orders], timeout: config.services.orders!.timeout },
        payments: { targets: [payments] },
      },
      routes: config.routes.map(({ path, methods, service, stripPrefix }) => ({
        path,
        methods,
        service,
        stripPrefix,
      })),
    };
    const gw = await servers.gateway(moved);
    expect((await fetch(`${gw.url}/api/health`)).status).toBe(200);
    expect((await fetch(`${gw.url}/api/users`)).status).toBe(200);
    expect((await fetch(`${gw.url}/api/orders`, { method: 'POST', body: '{}' })).status).toBe(200);
    expect((await fetch(`${gw.url}/api/payments`, { method: 'POST', body: '{}' })).status).toBe(200);
    // Round-robin over the two users instances, prefix stripped.
    expect(
      ups[0]!.requests
        .concat(ups[1]!.requests)
        .map((r) => r.url)
        .sort(),
    ).toEqual(['/health', '/users']);
    expect(ups[0]!.requests).toHaveLength(1);
    expect(ups[1]!.requests).toHaveLength(1);
  });
});
