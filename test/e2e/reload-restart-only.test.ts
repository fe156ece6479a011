import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startDevServer } from '../../src/dev/start-dev-server.js';
import type { GatewayEvent } from '../../src/events/gateway-events.js';
import { createProject } from '../helpers/project.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Settings the running process cannot change in place (its socket, server limits, state store and
 * TLS listener) are applied on the next start; a save that changes them says so instead of
 * pretending they took effect.
 */

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const config = (extra: Record<string, unknown>) =>
  JSON.stringify({
    services: { s: { targets: ['http://127.0.0.1:9'] } },
    routes: [{ path: '/api', service: 's' }],
    ...extra,
  });

describe('a save that changes a start-only setting', () => {
  it('warns that tls takes effect on the next start, and still applies the rest', async () => {
    const project = await createProject({ 'gateway.config.json': config({}) });
    cleanup.push(() => project.cleanup());
    const server = await startDevServer({
      cwd: project.dir,
      port: 0,
      host: '127.0.0.1',
      dashboard: false,
      logFormat: 'json',
      stateDir: project.path('.gw'),
    });
    cleanup.push(() => server.close());
    const seen: GatewayEvent[] = [];
    const unsubscribe = server.gateway.events.subscribe((event) => seen.push(event));
    cleanup.push(async () => unsubscribe());

    await writeFile(project.path('gateway.config.json'), config({ tls: true }));
    await waitFor(() => seen.some((e) => e.type === 'config-loaded' && !e.initial), 10_000, 'the reload');
    const warnings = seen.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    expect(warnings.some((m) => /\btls\b.*next start/.test(m))).toBe(true);
    expect(server.gateway.url.startsWith('http://')).toBe(true);
  });
});
